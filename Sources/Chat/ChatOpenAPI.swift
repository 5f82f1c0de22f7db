import ApusCore

/// The chat module's part of the OpenAPI document. The socket's frames are in the README.
enum ChatOpenAPI {
    typealias Doc = OpenAPIDocument

    static func operation(_ id: String, _ summary: String, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: "chat", body: body, parameters: parameters, responses: responses)
    }

    static let room = Doc.idParameter("id")
    static let user: JSONValue = ["name": "user", "in": "path", "required": true, "schema": ["type": "string", "pattern": Doc.idPattern]]
    static let message: JSONValue = ["name": "message", "in": "path", "required": true, "schema": ["type": "string", "pattern": Doc.idPattern]]
    static let sequence: JSONValue = ["type": "string", "pattern": "^[0-9]{1,18}$"]
    static let noRoom = Doc.problemResponse("No such room you can see")

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/chat/rooms": [
                "post": operation("createChatRoom", "Create a room (a direct room: the pair's, if it exists)", body: Doc.ref("CreateChatRoom"), responses: [
                    "201": Doc.jsonResponse("The new room", schema: Doc.ref("ChatRoom")),
                    "200": Doc.jsonResponse("The pair's existing direct room", schema: Doc.ref("ChatRoom")),
                    "409": Doc.problemResponse("Try again"),
                ]),
                "get": operation("listChatRooms", "Rooms you are in, and public rooms", parameters: [Doc.limitParameter, Doc.idCursorParameter], responses: [
                    "200": Doc.jsonResponse("A page of rooms", schema: Doc.page(of: Doc.ref("ChatRoom")))
                ]),
            ],
            "/v1/chat/rooms/{id}": [
                "get": operation("getChatRoom", "One room", parameters: [room], responses: [
                    "200": Doc.jsonResponse("The room", schema: Doc.ref("ChatRoom")), "404": noRoom,
                ]),
                "patch": operation("renameChatRoom", "Rename a room (owner or moderator)", body: Doc.ref("PatchChatRoom"), parameters: [room], responses: [
                    "200": Doc.jsonResponse("The room", schema: Doc.ref("ChatRoom")), "404": noRoom,
                ]),
                "delete": operation("deleteChatRoom", "Delete a room with its messages (owner)", parameters: [room], responses: [
                    "204": ["description": "Deleted"], "404": noRoom,
                ]),
            ],
            "/v1/chat/rooms/{id}/members": [
                "get": operation("listChatMembers", "A room's members", parameters: [room, Doc.limitParameter, Doc.idCursorParameter], responses: [
                    "200": Doc.jsonResponse("A page of members", schema: Doc.page(of: Doc.ref("ChatMember"))), "404": noRoom,
                ]),
                "post": operation("addChatMember", "Join a public room ({}), or add a member (owner or moderator)", body: Doc.ref("AddChatMember"), parameters: [room], responses: [
                    "200": Doc.jsonResponse("The membership", schema: Doc.ref("ChatMember")), "404": noRoom, "409": Doc.problemResponse("The user is banned"),
                ]),
            ],
            "/v1/chat/rooms/{id}/members/{user}": [
                "delete": operation("removeChatMember", "Leave, or remove a member (owner or moderator)", parameters: [room, user], responses: [
                    "204": ["description": "Removed; their sockets lose the room at once"], "404": Doc.problemResponse("No such room or member"),
                ])
            ],
            "/v1/chat/rooms/{id}/bans": [
                "post": operation("banChatUser", "Ban a user from a room (owner or moderator)", body: Doc.ref("ChatBan"), parameters: [room], responses: [
                    "204": ["description": "Banned and removed"], "404": noRoom,
                ])
            ],
            "/v1/chat/rooms/{id}/bans/{user}": [
                "delete": operation("unbanChatUser", "Lift a ban", parameters: [room, user], responses: [
                    "204": ["description": "Lifted"], "404": Doc.problemResponse("No such room or ban"),
                ])
            ],
            "/v1/chat/rooms/{id}/messages": [
                "get": operation("listChatMessages", "History, oldest first: the newest page, or before/after a message number", parameters: [
                    room, Doc.limitParameter,
                    ["name": "before", "in": "query", "schema": sequence], ["name": "after", "in": "query", "schema": sequence],
                ], responses: [
                    "200": Doc.jsonResponse("A page of messages; next_cursor is the number to pass as before", schema: Doc.page(of: Doc.ref("ChatMessage"))),
                    "404": noRoom,
                ]),
                "post": operation("sendChatMessage", "Send a message without a socket", body: Doc.ref("SendChatMessage"), parameters: [room], responses: [
                    "201": Doc.jsonResponse("The message", schema: Doc.ref("ChatMessage")),
                    "200": Doc.jsonResponse("The message first sent with this client_id", schema: Doc.ref("ChatMessage")),
                    "404": noRoom,
                ]),
            ],
            "/v1/chat/rooms/{id}/messages/{message}": [
                "patch": operation("editChatMessage", "Edit your message (earlier text kept)", body: Doc.ref("EditChatMessage"), parameters: [room, message], responses: [
                    "200": Doc.jsonResponse("The message", schema: Doc.ref("ChatMessage")), "404": Doc.problemResponse("No such message"),
                    "409": Doc.problemResponse("Deleted"),
                ]),
                "delete": operation("deleteChatMessage", "Delete a message (sender or moderator), leaving a tombstone", parameters: [room, message], responses: [
                    "204": ["description": "Deleted"], "404": Doc.problemResponse("No such message"),
                ]),
            ],
            "/v1/chat/rooms/{id}/messages/{message}/versions": [
                "get": operation("listChatMessageVersions", "Earlier texts of a message (sender or moderator)", parameters: [room, message], responses: [
                    "200": Doc.jsonResponse("Versions, oldest first", schema: Doc.page(of: Doc.ref("ChatMessageVersion"))),
                    "404": Doc.problemResponse("No such message"),
                ])
            ],
            "/v1/chat/rooms/{id}/messages/{message}/reactions": [
                "post": operation("reactToChatMessage", "Set your reaction; the same emoji again takes it back", body: Doc.ref("ChatReact"), parameters: [room, message], responses: [
                    "200": Doc.jsonResponse("The emoji you now hold, or null", schema: Doc.object(["emoji": ["type": ["string", "null"]]])),
                    "404": Doc.problemResponse("No such message"),
                ])
            ],
            "/v1/chat/rooms/{id}/read": [
                "post": operation("markChatRead", "Move your read mark forward", body: Doc.ref("ChatRead"), parameters: [room], responses: [
                    "200": Doc.jsonResponse("Your read mark", schema: Doc.object(["last_read_seq": ["type": "integer"]])), "404": noRoom,
                ])
            ],
            "/v1/chat/rooms/{id}/presence": [
                "get": operation("chatPresence", "Who has a socket in the room now, on any node", parameters: [room], responses: [
                    "200": Doc.jsonResponse("The users present", schema: Doc.page(of: Doc.object(["user_id": ["type": "string"]]))), "404": noRoom,
                ])
            ],
            "/v1/chat/unread": [
                "get": operation("chatUnread", "Unread counts per room", responses: [
                    "200": Doc.jsonResponse("Every room you are in", schema: Doc.page(of: Doc.ref("ChatUnread")))
                ])
            ],
        ],
        schemas: [
            // A public or private room has a name; a direct room names the other user instead.
            "CreateChatRoom": [
                "type": "object", "required": ["kind"],
                "properties": [
                    "kind": Doc.enumeration(Room.Kind.self),
                    "name": ["type": "string", "maxLength": 100, "pattern": Doc.noNUL],
                    "user": ["type": ["string", "null"], "pattern": Doc.idPattern],
                ],
            ],
            "PatchChatRoom": Doc.object(["name": ["type": "string", "minLength": 1, "maxLength": 100, "pattern": Doc.noNUL]]),
            "AddChatMember": [
                "type": "object",
                "properties": [
                    "user": ["type": ["string", "null"], "pattern": Doc.idPattern],
                    "role": ["type": ["string", "null"], "enum": .array(MemberRole.allCases.map { .string($0.rawValue) } + [.null])],
                ],
            ],
            "ChatBan": Doc.object(["user": ["type": "string", "pattern": Doc.idPattern]]),
            "SendChatMessage": [
                "type": "object", "required": ["text"],
                "properties": [
                    "text": ["type": "string", "minLength": 1, "maxLength": 4000, "pattern": Doc.noNUL],
                    "reply_to": ["type": ["string", "null"], "pattern": Doc.idPattern],
                    "client_id": ["type": ["string", "null"], "minLength": 1, "maxLength": 64, "pattern": Doc.noNUL],
                ],
            ],
            "EditChatMessage": Doc.object(["text": ["type": "string", "minLength": 1, "maxLength": 4000, "pattern": Doc.noNUL]]),
            "ChatReact": Doc.object(["emoji": ["type": "string", "minLength": 1, "maxLength": 16, "pattern": "^[^\\u0000-\\u0020]+$"]]),
            "ChatRead": Doc.object(["seq": ["type": "integer", "minimum": 0, "maximum": 9_007_199_254_740_991]]),
            "ChatRoom": Doc.object([
                "id": ["type": "string"], "kind": Doc.enumeration(Room.Kind.self), "name": ["type": "string"], "owner_id": ["type": "string"],
                "seq": ["type": "integer"], "created_at": Doc.time, "updated_at": Doc.time,
            ]),
            "ChatMember": Doc.object([
                "room_id": ["type": "string"], "user_id": ["type": "string"], "role": Doc.enumeration(MemberRole.self),
                "last_read_seq": ["type": "integer"], "joined_at": Doc.time,
            ]),
            "ChatMessage": Doc.object([
                "id": ["type": "string"], "room_id": ["type": "string"], "seq": ["type": "integer"], "sender_id": ["type": "string"],
                "text": ["type": "string"], "reply_to": ["type": "string"], "client_id": ["type": "string"], "created_at": Doc.time,
                "edited_at": Doc.time, "deleted_at": Doc.time,
                "reactions": ["type": "object", "additionalProperties": ["type": "array", "items": ["type": "string"]]],
            ], optional: ["reply_to", "client_id", "edited_at", "deleted_at", "reactions"]),
            "ChatMessageVersion": Doc.object(["version": ["type": "integer"], "text": ["type": "string"], "replaced_at": Doc.time]),
            "ChatUnread": Doc.object([
                "room_id": ["type": "string"], "unread": ["type": "integer"], "seq": ["type": "integer"], "last_read_seq": ["type": "integer"],
            ]),
        ],
        tags: [["name": "chat", "description": "Rooms, members, messages and the chat socket"]]
    )
}
