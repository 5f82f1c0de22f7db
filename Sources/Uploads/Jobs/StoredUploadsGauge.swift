import ApusCore
import Logging
import ServiceLifecycle

/// Keeps `apus_uploads_stored{state}` current on every node: one grouped count of the uploads
/// table each sweep interval, until shutdown.
struct StoredUploadsGauge: Service {
    let service: UploadsService
    let interval: Double

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await service.refreshStoredGauge()
                } catch {
                    service.logger.warning("could not count uploads by state", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: .seconds(interval))
            }
        }
    }
}
