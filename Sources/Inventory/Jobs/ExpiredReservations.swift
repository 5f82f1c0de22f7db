import ApusCore
import Foundation

/// The recurring job that gives back the stock of checkouts not paid in time. It may run on
/// several nodes at once (or twice for one schedule): each release is a conditional update on
/// the checkout's status, so every hold is released exactly once.
enum ExpiredReservations {
    static let kind = "inventory.release-expired"

    static func schedule(_ settings: InventorySettings) -> RecurringJob {
        RecurringJob(name: kind, interval: settings.expiryInterval, job: NewJob(kind: kind))
    }

    static func handler(service: InventoryService) -> JobHandler {
        JobHandler(kind: kind) { _ in
            let released = try await service.releaseExpired(now: service.platform.now())
            if released > 0 { service.logger.info("released expired reservations", metadata: ["count": "\(released)"]) }
        }
    }
}
