public import ApusCore

extension Platform {
    /// Returns once the node's caches hear the bus. On PostgreSQL the node's listener connects
    /// after the node starts and then clears every cache once (it cannot know what it missed), so
    /// a test about what a node has cached waits for that first. Sends a probe invalidation with
    /// no sender (which every node applies) until the probe cache sees it or the clear.
    public func cachesHearTheBus(within seconds: Double = 30) async throws -> Bool {
        let probe: BusInvalidatedCache<String, String> = cache("apus-testing.probe", capacity: 1, lifetime: .seconds(1))
        let before = probe.generation(for: "probe")
        return try await eventually(seconds) {
            try await bus.publish(CacheRegistry.channel, "apus-testing.probe\tprobe")
            return probe.generation(for: "probe") != before
        }
    }
}
