import ApusCore

/// A deleted user's uploads go, with their bytes.
enum UploadOwnerEvents {
    static func consumer(service: UploadsService) -> EventConsumer {
        EventConsumer(name: "uploads.owners", typePrefixes: [IdentityEvents.userDeleted]) { event, transaction in
            guard let change = IdentityEvents.UserChange.decode(event) else { return }
            try await service.removeUploads(of: change.userId, in: transaction)
        }
    }
}
