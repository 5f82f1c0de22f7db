import ApusCore
import Foundation
import Logging

/// Announces stored chunks on the bus (`logs.tail`) after their transaction commits, so live
/// tails on every node read them: the tenant and the chunks' ids, never the lines (a push's
/// lines rarely fit a bus message). Best effort, as a tail is: a note the bus loses is a line
/// a tail does not show, never a line lost from the store.
struct LogTailFeed: Sendable {
    static let channel = "logs.tail"
    /// Ids per note: well under the bus's payload limit.
    static let idsPerNote = 400

    let bus: any ClusterBus
    let logger: Logger

    struct Note: Codable, Equatable {
        /// The tenant.
        var t: String
        /// The chunks' ids.
        var c: [Int64]
    }

    func announce(tenant: String, chunks: [Int64]) async {
        for start in stride(from: 0, to: chunks.count, by: Self.idsPerNote) {
            let note = Note(t: tenant, c: Array(chunks[start..<min(start + Self.idsPerNote, chunks.count)]))
            do {
                try await bus.publish(Self.channel, String(decoding: try JSONEncoder().encode(note), as: UTF8.self))
            } catch {
                logger.warning("cannot announce stored chunks to live tails", metadata: ["error": "\(error)"])
            }
        }
    }

    static func decode(_ text: String) -> Note? {
        try? JSONDecoder().decode(Note.self, from: Data(text.utf8))
    }
}
