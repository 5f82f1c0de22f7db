import ApusCore

/// The module's part of the OpenAPI document.
enum NotificationsOpenAPI {
    static var fragment: OpenAPIFragment { OpenAPIFragment() }
}
