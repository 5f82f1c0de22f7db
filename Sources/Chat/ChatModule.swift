public import ApusCore
import Foundation
import Hummingbird

/// Chat: rooms with gap-free numbered history over REST and a WebSocket, fanned out across
/// nodes through the bus, with recovery of what a reconnecting client missed.
public struct ChatModule: Module {
    /// The module's name: its tables are `chat_*`, its permissions `chat.*`.
    public static let name = "chat"
    public var name: String { Self.name }

    /// Taking part in chat (any signed-in role); what one may do in a room is the room's say.
    public static let use = Permission(module: name, "use", roles: Set(Role.allCases))

    public init() {}

    public var migrations: [Migration] { ChatMigrations.all }
    public var events: [EventDeclaration] { ChatEvents.all }
    public var permissions: [Permission] { [Self.use] }
    public var openAPI: OpenAPIFragment { ChatOpenAPI.fragment }
    /// Socket.IO clients connect to `/socket.io/`.
    public var rootSegments: [String] { ["socket.io"] }

    public func start(_ platform: Platform) throws -> ModuleParts {
        let settings = try ChatSettings(platform.settings)
        let service = ChatService(platform: platform, settings: settings)
        let hub = ChatHub()
        let logger = platform.logger(module: Self.name)
        let presence = ChatPresence(platform: platform, heartbeat: settings.presenceHeartbeat, logger: logger)
        let chat = ChatSocket(service: service, hub: hub, presence: presence)
        let routes = RouteCollection(context: ApusRequestContext.self)
        RoomRoutes(service: service).add(to: routes)
        MessageRoutes(service: service).add(to: routes)
        return ModuleParts(
            routes: routes,
            sockets: [chat.route, SocketIOEndpoint(chat: chat).route],
            services: [ChatFollower(hub: hub, presence: presence, platform: platform, logger: logger), presence],
            eventConsumers: [ChatEvents.ownerConsumer()]
        )
    }
}
