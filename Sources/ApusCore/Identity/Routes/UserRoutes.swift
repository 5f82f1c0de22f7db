import Hummingbird

/// Admin management of users under `/v1/users`.
struct UserRoutes {
    let identity: Identity

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let users = router.group("/v1/users").add(middleware: RequirePermission(.manageUsers))
        users.get { request, _ -> Page<User> in
            let limit = try request.pageLimit()
            let page = try await identity.users.list(limit: limit + 1, after: try request.pageCursor())
            return Page(fetched: page, limit: limit) { $0.id }
        }
        users.get("/{id}") { _, context -> User in
            let id = try context.requireID("id", kind: "user")
            guard let user = try await identity.users.find(id: id) else { throw Problem.notFound("No user \(id).") }
            return user
        }
        users.patch("/{id}") { request, context -> User in
            let id = try context.requireID("id", kind: "user")
            let patch = try await request.decodeJSON(as: UserPatch.self, context: context)
            if let roles = patch.roles, roles.isEmpty {
                throw Problem.unprocessable("A user needs at least one role.", errors: [.init(field: "roles", message: "must not be empty")])
            }
            guard let after = try await identity.updateUser(id: id, roles: patch.roles, disabled: patch.disabled) else {
                throw Problem.notFound("No user \(id).")
            }
            return after
        }
        users.delete("/{id}") { _, context -> Response in
            let id = try context.requireID("id", kind: "user")
            guard try await identity.deleteUser(id: id) else { throw Problem.notFound("No user \(id).") }
            return Response(status: .noContent)
        }
    }
}
