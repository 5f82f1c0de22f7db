import ApusCore
import Foundation

/// How another module's event becomes interactions (`APUS_RECS_EVENTS`): `type=kind:user:items`,
/// comma-separated, where `user` names the payload's field holding the user and `items` the
/// field holding one item, or `list[].field` for an item per element. The default turns a paid
/// order into a purchase of each line's SKU:
/// `inventory.order.paid=purchase:owner_id:lines[].sku`.
struct EventMapping: Sendable, Equatable {
    var type: String
    var kind: InteractionKind
    var userField: String
    /// The item field, and the list it sits in when the path is `list[].field`.
    var itemField: String
    var itemList: String?

    static let defaults = "inventory.order.paid=purchase:owner_id:lines[].sku"

    /// Parses the setting's value; `nil` with the reason for one it cannot read.
    static func parse(_ text: String) -> Result<[EventMapping], ConfigurationError> {
        var mappings: [EventMapping] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let sides = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let parts = sides.count == 2 ? sides[1].split(separator: ":").map(String.init) : []
            guard sides.count == 2, !sides[0].isEmpty, parts.count == 3, let kind = InteractionKind(rawValue: parts[0]), !parts[1].isEmpty, !parts[2].isEmpty else {
                return .failure(.invalid("APUS_RECS_EVENTS", "'\(entry)' is not type=kind:user_field:item_path"))
            }
            let path = parts[2].components(separatedBy: "[].")
            guard path.count <= 2, path.allSatisfy({ !$0.isEmpty }) else {
                return .failure(.invalid("APUS_RECS_EVENTS", "'\(parts[2])' is not a field or list[].field"))
            }
            mappings.append(EventMapping(
                type: sides[0], kind: kind, userField: parts[1], itemField: path.last!, itemList: path.count == 2 ? path[0] : nil
            ))
        }
        return .success(mappings)
    }

    /// The interactions `event` stands for (none when its payload lacks the fields).
    func interactions(from event: DomainEvent, weight: Double) -> [StoredInteraction] {
        guard let payload = try? JSONSerialization.jsonObject(with: Data(event.payload.utf8)) as? [String: Any],
              let user = payload[userField] as? String, RecsRoutes.isValidID(user)
        else { return [] }
        let holders: [[String: Any]] = if let itemList { payload[itemList] as? [[String: Any]] ?? [] } else { [payload] }
        let at = event.occurredAt.epochMilliseconds
        return holders.compactMap { holder in
            guard let item = holder[itemField] as? String, RecsRoutes.isValidID(item) else { return nil }
            return StoredInteraction(user: user, item: item, kind: kind, weight: weight, at: at)
        }
    }
}

/// The consumer that records mapped events as interactions (from the oldest the outbox keeps,
/// so paid orders from before the module ran count too), in the transaction that marks the
/// event processed (so each is recorded once), and folds the user in by a job after it commits.
enum MappedEvents {
    static func consumer(service: RecsService, mappings: [EventMapping]) -> EventConsumer? {
        guard !mappings.isEmpty else { return nil }
        return EventConsumer(name: "recs.interactions", typePrefixes: mappings.map(\.type), start: .history) { event, transaction in
            let rows = mappings.filter { $0.type == event.type }.flatMap { mapping in
                mapping.interactions(from: event, weight: service.settings.weights[mapping.kind] ?? 1)
            }
            guard !rows.isEmpty else { return }
            if try await service.interactions.insert(rows, on: transaction.sql) > 0 {
                try await transaction.enqueue(FoldIn.job(users: Array(Set(rows.map(\.user))).sorted()))
            }
        }
    }
}
