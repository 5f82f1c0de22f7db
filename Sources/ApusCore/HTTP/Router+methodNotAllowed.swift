public import Hummingbird

extension Router where Context == ApusRequestContext {
    /// For every registered path, answers the methods it does not serve with 405 and an `Allow`
    /// header, and `OPTIONS` with 204 and the same header. Call after every route is added.
    public func addMethodNotAllowedResponses() {
        let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace]
        var served: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in routes {
            served[route.path.description, default: (route.path, [])].methods.insert(route.method)
        }
        for (path, var allowed) in served.values {
            // HEAD is generated for every GET.
            if allowed.contains(.get) { allowed.insert(.head) }
            allowed.insert(.options)
            let allow = methods.filter { allowed.contains($0) }.map(\.rawValue).joined(separator: ", ")
            for method in methods where !allowed.contains(method) {
                on(path, method: method) { request, _ -> Response in
                    throw Problem(
                        .methodNotAllowed,
                        detail: "\(request.method.rawValue) is not allowed here; allowed: \(allow).",
                        headers: [.allow: allow]
                    )
                }
            }
            if !(served[path.description]?.methods.contains(.options) ?? false) {
                on(path, method: .options) { _, _ in
                    Response(status: .noContent, headers: [.allow: allow])
                }
            }
        }
    }
}
