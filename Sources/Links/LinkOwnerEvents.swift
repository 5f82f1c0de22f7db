import ApusCore

/// What becomes of a user's links when Identity says the user changed: a deleted user's links
/// and clicks go, a disabled user's links stop redirecting until the account is enabled again.
/// Every node's redirect cache drops them when the transaction commits.
enum LinkOwnerEvents {
    static func consumer(service: LinksService) -> EventConsumer {
        EventConsumer(
            name: "links.owners",
            typePrefixes: [IdentityEvents.userDeleted, IdentityEvents.userDisabled, IdentityEvents.userEnabled]
        ) { event, transaction in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            switch event.type {
            case IdentityEvents.userDeleted: try await service.removeLinks(of: change.userId, in: transaction)
            case IdentityEvents.userDisabled: try await service.suspendLinks(of: change.userId, suspended: true, in: transaction)
            case IdentityEvents.userEnabled: try await service.suspendLinks(of: change.userId, suspended: false, in: transaction)
            default: break
            }
        }
    }
}
