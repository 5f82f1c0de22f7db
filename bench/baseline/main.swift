// The baseline of bench/platform.sh: a bare Hummingbird server answering `GET /{code}` with a
// 302, built with the same settings as `apus`, so the platform's cost per request can be read
// as a ratio against it.
import Hummingbird

let port = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 18091
let router = Router()
router.get("/{code}") { _, context -> Response in
    let code = try context.parameters.require("code")
    return Response(status: .found, headers: [.location: "https://example.com/\(code)", .cacheControl: "private, no-store"])
}
let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "baseline"))
try await application.runService()
