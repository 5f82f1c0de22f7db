#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The sockets of one run, open and subscribed, and the steps of load sent through them.
final class LoadRun: Sendable {
    let target: TargetOptions
    let tally: Tally
    let server: ProcessProbe
    let client = ProcessProbe(pid: nil)
    /// The server's resident memory once the accounts and rooms existed, before any socket.
    let residentBeforeSockets: Int?
    let connectSeconds: Double
    private let senders: [AsyncStream<SendCommand>.Continuation]
    /// For each room, its sockets times its senders: the deliveries one message per sender makes.
    private let deliveriesPerRound: Int

    private init(
        target: TargetOptions, tally: Tally, server: ProcessProbe, residentBeforeSockets: Int?, connectSeconds: Double,
        senders: [AsyncStream<SendCommand>.Continuation], deliveriesPerRound: Int
    ) {
        self.target = target
        self.tally = tally
        self.server = server
        self.residentBeforeSockets = residentBeforeSockets
        self.connectSeconds = connectSeconds
        self.senders = senders
        self.deliveriesPerRound = deliveriesPerRound
    }

    /// Signs up, opens every socket (at most `target.connecting` connecting at once), and returns
    /// once all are subscribed. The first `sendersPerRoom` sockets of each room send.
    static func open(_ target: TargetOptions, sendersPerRoom: Int, subscribe: Bool = true) async throws -> LoadRun {
        let setup = try await Setup.make(target)
        let server = ProcessProbe(pid: target.serverPid)
        let resident = server.residentBytes()
        var sockets: [LoadSocket] = []
        var senders: [AsyncStream<SendCommand>.Continuation] = []
        var membersByRoom: [String: Int] = [:]
        var sendersByRoom: [String: Int] = [:]
        let tally = Tally()
        for index in 0..<target.sockets {
            let room = setup.room(of: index, sockets: target.sockets)
            membersByRoom[room, default: 0] += 1
            var commands: AsyncStream<SendCommand>?
            if sendersByRoom[room, default: 0] < sendersPerRoom {
                sendersByRoom[room, default: 0] += 1
                let (stream, continuation) = AsyncStream<SendCommand>.makeStream()
                commands = stream
                senders.append(continuation)
            }
            let url = target.base.replacingOccurrences(of: "http://", with: "ws://")
            sockets.append(LoadSocket(index: index, url: url, wire: target.wire, token: setup.token(of: index), room: room, subscribes: subscribe, tally: tally, commands: commands))
        }
        let started = monotonicNanoseconds()
        let gate = Gate(permits: target.connecting)
        Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for socket in sockets {
                    await gate.acquire()
                    let once = Once()
                    group.addTask {
                        await socket.run {
                            if once.first() {
                                tally.ready.add(1, ordering: .relaxed)
                                Task { await gate.release() }
                            }
                        }
                        if once.first() { await gate.release() }
                    }
                }
            }
        }
        let terminal = isatty(2) != 0
        let deadline = started + 300_000_000_000
        while tally.ready.load(ordering: .relaxed) < target.sockets {
            let closed = tally.closes.withLock { $0.values.reduce(0, +) }
            if closed > 0 || monotonicNanoseconds() > deadline {
                throw LoadError("\(tally.ready.load(ordering: .relaxed)) of \(target.sockets) sockets subscribed; closes: \(tally.closes.withLock { $0 })")
            }
            if terminal { FileHandle.standardError.write(Data("\rsubscribed \(tally.ready.load(ordering: .relaxed))/\(target.sockets)".utf8)) }
            try await Task.sleep(for: .milliseconds(100))
        }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return LoadRun(
            target: target, tally: tally, server: server, residentBeforeSockets: resident,
            connectSeconds: Double(monotonicNanoseconds() - started) / 1e9, senders: senders,
            deliveriesPerRound: membersByRoom.reduce(0) { $0 + $1.value * sendersByRoom[$1.key, default: 0] }
        )
    }

    /// Sends `rate` messages a second across all senders for `seconds`, waits for the deliveries
    /// to arrive (at most 5 s after the last send), and measures them.
    func step(_ step: UInt16, rate: Double, seconds: Double) async throws -> StepResult {
        let perSender = rate / Double(senders.count)
        let count = max(1, Int((perSender * seconds).rounded()))
        let serverCPU = server.cpuSeconds()
        let clientCPU = client.cpuSeconds()
        let sentBefore = tally.sent.load(ordering: .relaxed)
        let deliveredBefore = tally.delivered.load(ordering: .relaxed)
        let start = monotonicNanoseconds() + 100_000_000
        // Senders are spread evenly over one sender's interval, as independent people would
        // be, rather than all sending at the same instant.
        let spacing = 1e9 / perSender / Double(senders.count)
        for (index, sender) in senders.enumerated() {
            sender.yield(SendCommand(step: step, start: start + UInt64(Double(index) * spacing), rate: perSender, count: count))
        }
        let planned = count * senders.count
        let expected = count * deliveriesPerRound
        let sendEnd = start + UInt64(seconds * 1e9)
        try await Self.sleep(until: sendEnd)
        let giveUp = monotonicNanoseconds() + 5_000_000_000
        while monotonicNanoseconds() < giveUp,
            tally.sent.load(ordering: .relaxed) - sentBefore < planned || tally.delivered.load(ordering: .relaxed) - deliveredBefore < expected
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        let end = monotonicNanoseconds()
        let deliveries = tally.take(step: step)
        var acks = tally.takeAcks(step: step).map { $0.received &- $0.sent }
        acks.sort()
        var latencies = deliveries.map { $0.received &- $0.sent }
        latencies.sort()
        let last = deliveries.map(\.received).max() ?? end
        func percentile(_ fraction: Double) -> Double {
            latencies.isEmpty ? 0 : Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]) / 1e6
        }
        return StepResult(
            step: Int(step), rate: rate, seconds: seconds, sent: tally.sent.load(ordering: .relaxed) - sentBefore, planned: planned,
            expected: expected, delivered: deliveries.count,
            deliveriesPerSecond: Double(deliveries.count) / max(seconds, Double(last - start) / 1e9),
            p50: percentile(0.5), p99: percentile(0.99),
            ackP50: acks.isEmpty ? nil : Double(acks[acks.count / 2]) / 1e6, ackP99: acks.isEmpty ? nil : Double(acks[min(acks.count - 1, acks.count * 99 / 100)]) / 1e6, max: latencies.last.map { Double($0) / 1e6 } ?? 0,
            serverCPU: elapsed(serverCPU, server.cpuSeconds()), serverResident: server.residentBytes(),
            clientCPU: elapsed(clientCPU, client.cpuSeconds()), wall: Double(end - start) / 1e9,
            errors: tally.errors.load(ordering: .relaxed), closes: tally.closes.withLock { $0.values.reduce(0, +) }
        )
    }

    static func sleep(until instant: UInt64) async throws {
        let now = monotonicNanoseconds()
        if instant > now { try await Task.sleep(nanoseconds: instant - now) }
    }
}

private func elapsed(_ before: Double?, _ after: Double?) -> Double? {
    guard let before, let after else { return nil }
    return after - before
}

/// What one step measured.
struct StepResult: Encodable {
    var step: Int
    var rate: Double
    var seconds: Double
    var sent: Int
    var planned: Int
    var expected: Int
    var delivered: Int
    var deliveriesPerSecond: Double
    var p50: Double
    var p99: Double
    /// Send to the sender's acknowledgement (stored and committed), native frames only.
    var ackP50: Double?
    var ackP99: Double?
    var max: Double
    var serverCPU: Double?
    var serverResident: Int?
    var clientCPU: Double?
    var wall: Double
    var errors: Int
    var closes: Int
}

/// At most `permits` holders at once.
actor Gate {
    private var permits: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { self.permits = permits }

    func acquire() async {
        if permits > 0 {
            permits -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { permits += 1 } else { waiting.removeFirst().resume() }
    }
}

/// True the first time only.
final class Once: Sendable {
    private let done = Atomic<Bool>(false)
    func first() -> Bool { !done.exchange(true, ordering: .relaxed) }
}
