import ArgumentParser
import Foundation

/// A load generator for chat servers over WebSocket (swift-websocket's client): it fans
/// messages out through rooms and measures delivery latency from send to receipt, or holds idle
/// sockets open to measure the server's memory per socket. Used by `bench/chat.sh`.
@main
struct ChatLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus-chat-load",
        abstract: "Load a chat server over WebSocket and measure what it delivers.",
        subcommands: [Fanout.self, Idle.self]
    )
}

/// Rooms of sockets, a few senders in each, one step per message rate.
struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send messages through rooms at rising rates; print latency and throughput per step.")

    @OptionGroup var target: TargetOptions

    @Option(help: "Messages a second across all rooms, one step per rate, comma-separated.")
    var rates = "50"

    @Option(help: "Seconds each step sends for.")
    var seconds = 10.0

    @Option(help: "Sending sockets in each room.")
    var senders = 2

    @Option(help: "A label for this run's lines.")
    var label = ""

    @Option(help: "End the sweep after a step whose p99 is above this many milliseconds.")
    var stopAbove = 1_000.0

    @Option(help: "The p99 bound, in milliseconds, the summary's best rate must stay under.")
    var bound = 50.0

    func run() async throws {
        let rates = self.rates.split(separator: ",").compactMap { Double($0) }
        let run = try await LoadRun.open(target, sendersPerRoom: senders)
        if !target.json {
            print("\(label): \(target.sockets) sockets in \(target.rooms) room(s), subscribed in \(String(format: "%.1f", run.connectSeconds)) s")
        }
        var best: StepResult?
        for (index, rate) in rates.enumerated() {
            let result = try await run.step(UInt16(index + 1), rate: rate, seconds: seconds)
            if target.json {
                try printJSON(["label": .string(label), "sockets": .int(target.sockets), "rooms": .int(target.rooms)], result)
            } else {
                print(result.line(label: label))
            }
            // Every message delivered, with p99 under the bound.
            if result.p99 < bound, result.delivered == result.expected, result.sent == result.planned { best = result }
            if result.p99 > stopAbove { break }
        }
        if !target.json {
            let summary = best.map { String(format: "%.0f msg/s, %.0f deliveries/s", $0.rate, $0.deliveriesPerSecond) } ?? "none of the rates"
            print("\(label) best with p99 < \(Int(bound)) ms: \(summary)")
        }
        // Sockets close with the process.
        Foundation.exit(0)
    }
}

/// Many authenticated, subscribed sockets that stay quiet.
struct Idle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hold sockets open and idle; print the server's memory per socket.")

    @OptionGroup var target: TargetOptions

    @Option(help: "Seconds to hold the sockets open after they are all ready.")
    var hold = 10.0

    @Flag(help: "Subscribe each socket to its room (each arrival is then announced to the room's other sockets).")
    var subscribe = false

    func run() async throws {
        let run = try await LoadRun.open(target, sendersPerRoom: 0, subscribe: subscribe)
        // Let allocations settle before reading resident memory.
        try await Task.sleep(for: .seconds(2))
        let cpu = run.server.cpuSeconds()
        let resident = run.server.residentBytes()
        try await Task.sleep(for: .seconds(hold))
        let idleCPU = run.server.cpuSeconds().flatMap { after in cpu.map { after - $0 } }
        let closes = run.tally.closes.withLock { $0 }
        let result = IdleResult(
            sockets: target.sockets, users: target.accountCount, rooms: target.rooms, subscribed: subscribe, connectSeconds: run.connectSeconds,
            residentBefore: run.residentBeforeSockets, residentWithSockets: resident,
            bytesPerSocket: resident.flatMap { after in run.residentBeforeSockets.map { (after - $0) / target.sockets } },
            heldSeconds: hold, serverCPUWhileIdle: idleCPU, closedWhileHeld: closes.values.reduce(0, +)
        )
        if target.json {
            let data = try JSONEncoder.snakeCase.encode(result)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(result.text)
        }
        Foundation.exit(0)
    }
}

struct IdleResult: Encodable {
    var sockets: Int
    var users: Int
    var rooms: Int
    var subscribed: Bool
    var connectSeconds: Double
    var residentBefore: Int?
    var residentWithSockets: Int?
    var bytesPerSocket: Int?
    var heldSeconds: Double
    var serverCPUWhileIdle: Double?
    var closedWhileHeld: Int

    var text: String {
        let mb = { (bytes: Int?) in bytes.map { String(format: "%.1f MB", Double($0) / 1e6) } ?? "?" }
        return """
            \(sockets) idle sockets (\(users) accounts\(subscribed ? ", subscribed to \(rooms) rooms" : ", signed in, no room")), ready in \(String(format: "%.1f", connectSeconds)) s
              server RSS \(mb(residentBefore)) before the sockets, \(mb(residentWithSockets)) with them: \
            \(bytesPerSocket.map { String(format: "%.1f KB", Double($0) / 1e3) } ?? "?") a socket
              server CPU over \(Int(heldSeconds)) s idle: \(serverCPUWhileIdle.map { String(format: "%.2f s", $0) } ?? "?"); sockets closed meanwhile: \(closedWhileHeld)
            """
    }
}

extension StepResult {
    func line(label: String) -> String {
        let cpu = serverCPU.map { String(format: "%.2f s (%.1f µs a delivery)", $0, delivered > 0 ? $0 * 1e6 / Double(delivered) : 0) } ?? "?"
        let rss = serverResident.map { String(format: "%.0f MB", Double($0) / 1e6) } ?? "?"
        let numbers = String(
            format: "%6.0f msg/s: delivered %d/%d (%.0f/s), p50 %.1f ms, p99 %.1f ms, max %.0f ms",
            rate, delivered, expected, deliveriesPerSecond, p50, p99, max
        )
        let ack = ackP50.map { p50 in String(format: " (acknowledged: p50 %.1f ms, p99 %.1f ms)", p50, ackP99 ?? 0) } ?? ""
        let trouble = sent < planned || errors > 0 || closes > 0 ? " (sent \(sent)/\(planned), errors \(errors), closed \(closes))" : ""
        return "\(label) \(numbers)\(ack); server CPU \(cpu), RSS \(rss); load generator CPU \(String(format: "%.2f s", clientCPU ?? 0))\(trouble)"
    }
}

enum Field: Encodable {
    case string(String)
    case int(Int)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        }
    }
}

/// One JSON line: the step's fields with the run's.
func printJSON(_ extra: [String: Field], _ result: StepResult) throws {
    var object = try JSONSerialization.jsonObject(with: JSONEncoder.snakeCase.encode(result)) as! [String: Any]
    for (key, value) in extra {
        switch value {
        case .string(let text): object[key] = text
        case .int(let number): object[key] = number
        }
    }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

extension JSONEncoder {
    static var snakeCase: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
