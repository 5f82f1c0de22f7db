import ApusCore
import Logging
import ServiceLifecycle

/// Hands the bus's notes of stored chunks to this node's live tails.
struct LogTailFollower: Service {
    let hub: LogTailHub
    let bus: any ClusterBus
    let logger: Logger

    func run() async throws {
        for await message in await bus.subscribe(LogTailFeed.channel).cancelOnGracefulShutdown() {
            // A lost note is lines a tail does not show; there is nothing to catch up from.
            guard case .message(let text) = message, let note = LogTailFeed.decode(text) else { continue }
            do {
                try await hub.deliver(note)
            } catch {
                logger.error("cannot read stored chunks for live tails", metadata: ["error": "\(error)"])
            }
        }
    }
}
