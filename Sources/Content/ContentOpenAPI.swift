import ApusCore

/// The content module's part of the OpenAPI document.
enum ContentOpenAPI {
    typealias Doc = OpenAPIDocument

    static func operation(
        _ id: String, _ summary: String, secured: Bool = true, body: JSONValue? = nil, bodyRequired: Bool = true, parameters: [JSONValue] = [],
        responses: [String: JSONValue]
    ) -> JSONValue {
        Doc.operation(id, summary, tag: "content", secured: secured, body: body, bodyRequired: bodyRequired, parameters: parameters, responses: responses)
    }

    static let apiIDPattern: JSONValue = "^[a-z][a-z0-9_-]{0,63}$"
    static let typeParameter: JSONValue = ["name": "type", "in": "path", "required": true, "schema": ["type": "string", "pattern": apiIDPattern]]
    static let apiIDParameter: JSONValue = ["name": "api_id", "in": "path", "required": true, "schema": ["type": "string", "pattern": apiIDPattern]]
    static let localeParameter: JSONValue = [
        "name": "locale", "in": "query", "schema": ["type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"],
    ]
    static let versionTag: JSONValue = ["type": "string", "pattern": "^((W/)?\"[0-9]{1,18}\"|\\*)$"]
    static let ifMatch: JSONValue = ["name": "If-Match", "in": "header", "required": true, "schema": versionTag]
    static let optionalIfMatch: JSONValue = ["name": "If-Match", "in": "header", "schema": versionTag]
    static let ifNoneMatch: JSONValue = ["name": "If-None-Match", "in": "header", "schema": ["type": "string"]]
    static let expandParameter: JSONValue = [
        "name": "expand", "in": "query", "description": "Replace each reference with the published entry it names (one level); null where that entry is not published or its type is one the caller may not read.", "schema": ["type": "boolean"],
    ]
    static let entryPath: [JSONValue] = [typeParameter, Doc.idParameter()]
    static let notFound = Doc.problemResponse("No such type or entry")
    static let stale = Doc.problemResponse("The entry changed since that version")
    static let missingIfMatch = Doc.problemResponse("If-Match is missing")

    static func entryResponse(_ description: String) -> JSONValue { Doc.jsonResponse(description, schema: Doc.ref("ContentEntry")) }

    static func transition(_ name: String, _ summary: String, conflict: String) -> JSONValue {
        ["post": operation("\(name)Entry", summary, parameters: entryPath + [localeParameter, optionalIfMatch], responses: [
            "200": entryResponse("The entry; ETag is its new version"), "404": notFound, "409": Doc.problemResponse(conflict), "412": stale,
        ])]
    }

    /// A root document for crawlers and feed readers: public, not JSON.
    static func site(_ id: String, _ summary: String, type: String, parameters: [JSONValue] = []) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(id), "summary": .string(summary), "tags": ["content"], "security": [],
            "responses": [
                "200": ["description": .string(summary), "content": .object([type: ["schema": ["type": "string"]]])],
                "401": Doc.problemResponse("Credentials were sent and are invalid"),
                "404": Doc.problemResponse("No such sitemap, type or feed"),
                "429": Doc.problemResponse("Rate limited"),
            ],
        ]
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        return .object(operation)
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/content/types": [
                "get": operation("listContentTypes", "Content types", responses: [
                    "200": Doc.jsonResponse("Every type", schema: Doc.page(of: Doc.ref("ContentType"))),
                ]),
                "post": operation("createContentType", "Define a content type (admins)", body: Doc.ref("NewContentType"), responses: [
                    "201": Doc.jsonResponse("The type; ETag is its version", schema: Doc.ref("ContentType")),
                    "409": Doc.problemResponse("The api id is taken"),
                ]),
            ],
            "/v1/content/types/{api_id}": [
                "get": operation("getContentType", "One content type", parameters: [apiIDParameter], responses: [
                    "200": Doc.jsonResponse("The type; ETag is its version", schema: Doc.ref("ContentType")), "404": notFound,
                ]),
                "patch": operation("updateContentType", "Change a content type; refused naming the entries it would break", body: Doc.ref("ContentTypePatch"), parameters: [apiIDParameter, ifMatch], responses: [
                    "200": Doc.jsonResponse("The type; ETag is its new version", schema: Doc.ref("ContentType")), "404": notFound,
                    "409": Doc.problemResponse("Entries would break; errors name them"), "412": Doc.problemResponse("The type changed since that version"),
                    "428": missingIfMatch,
                ]),
            ],
            "/v1/content/{type}/entries": [
                "get": operation("listEntries", "Entries as staff see them, drafts included", parameters: [
                    typeParameter, localeParameter, Doc.limitParameter, Doc.idCursorParameter,
                    ["name": "status", "in": "query", "schema": ["type": "string", "enum": .array(EntryStatus.allCases.map { .string($0.rawValue) })]],
                ], responses: [
                    "200": Doc.jsonResponse("A page of entries", schema: Doc.page(of: Doc.ref("ContentEntry"))), "404": notFound,
                ]),
                "post": operation("createEntry", "Create a draft from one locale's field values", body: Doc.ref("EntryValues"), parameters: [typeParameter, localeParameter], responses: [
                    "201": entryResponse("The entry; ETag is its version"), "404": notFound, "409": Doc.problemResponse("A unique value or slug is taken"),
                ]),
            ],
            "/v1/content/{type}/entries/{id}": [
                "get": operation("getEntry", "One entry in one locale, as staff see it", parameters: entryPath + [localeParameter], responses: [
                    "200": entryResponse("The entry; ETag is its version"), "404": notFound,
                ]),
                "patch": operation("saveEntry", "Save field values of one locale; a new revision, or the last autosave updated", body: Doc.ref("EntryValues"), parameters: entryPath + [
                    localeParameter, ifMatch, ["name": "autosave", "in": "query", "schema": ["type": "boolean"]],
                ], responses: [
                    "200": entryResponse("The entry; ETag is its new version"), "404": notFound, "409": Doc.problemResponse("A unique value or slug is taken"),
                    "412": stale, "428": missingIfMatch,
                ]),
                "delete": operation("deleteEntry", "Delete an entry with its revisions", parameters: entryPath, responses: [
                    "204": ["description": "Deleted"], "404": notFound,
                ]),
            ],
            "/v1/content/{type}/entries/{id}/submit": transition("submit", "Submit a draft for review", conflict: "Not a draft"),
            "/v1/content/{type}/entries/{id}/publish": transition("publish", "Publish the entry's drafts in every locale", conflict: "Cannot be published"),
            "/v1/content/{type}/entries/{id}/unpublish": transition("unpublish", "Withdraw the entry from readers", conflict: "Not published or scheduled"),
            "/v1/content/{type}/entries/{id}/archive": transition("archive", "Archive the entry", conflict: "Archived already"),
            "/v1/content/{type}/entries/{id}/revisions": [
                "get": operation("listRevisions", "The entry's revisions, newest first", parameters: entryPath + [
                    Doc.limitParameter, ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^([1-9][0-9]{0,8})?$"]],
                ], responses: [
                    "200": Doc.jsonResponse("A page of revisions", schema: Doc.page(of: Doc.ref("Revision"))), "404": notFound,
                ]),
            ],
            "/v1/content/{type}/entries/{id}/revisions/diff": [
                "get": operation("diffRevisions", "What changed in each field between two revisions", parameters: entryPath + [
                    ["name": "from", "in": "query", "required": true, "schema": ["type": "integer", "minimum": 1, "maximum": 1_000_000_000]],
                    ["name": "to", "in": "query", "required": true, "schema": ["type": "integer", "minimum": 1, "maximum": 1_000_000_000]],
                ], responses: [
                    "200": Doc.jsonResponse("The changed fields", schema: Doc.ref("RevisionDiff")), "404": notFound,
                ]),
            ],
            "/v1/content/{type}/entries/{id}/revisions/{number}/restore": [
                "post": operation("restoreRevision", "Make a revision's values the draft again, as a new revision", parameters: entryPath + [
                    ["name": "number", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 1, "maximum": 1_000_000_000]], ifMatch,
                ], responses: [
                    "200": entryResponse("The entry; ETag is its new version"), "404": notFound, "409": Doc.problemResponse("A unique value or slug is taken"),
                    "412": stale, "428": missingIfMatch,
                ]),
            ],
            "/v1/content/search": [
                "get": operation("searchContent", "Full-text search over published entries (drafts too for staff)", secured: false, parameters: [
                    ["name": "q", "in": "query", "required": true, "schema": ["type": "string", "minLength": 2, "maxLength": 200, "pattern": "[\\p{L}\\p{N}]{2}"]],
                    ["name": "type", "in": "query", "schema": ["type": "string", "pattern": apiIDPattern]],
                    localeParameter, Doc.limitParameter, ["name": "drafts", "in": "query", "schema": ["type": "boolean"]],
                ], responses: [
                    "200": Doc.jsonResponse("Hits, best first; snippets are HTML with matches in <mark>", schema: [
                        "type": "object", "required": ["items"],
                        "properties": ["items": ["type": "array", "items": Doc.ref("SearchHit")]],
                    ]),
                    "404": Doc.problemResponse("No such type, or not public"),
                ]),
            ],
            "/sitemap.xml": [
                "get": site("getSitemap", "A sitemaps.org sitemap of every published entry of public types, or an index past APUS_CONTENT_SITEMAP_MAX_URLS", type: "application/xml"),
            ],
            "/sitemaps/{file}": [
                "get": site("getChildSitemap", "One sitemap of the index", type: "application/xml", parameters: [
                    ["name": "file", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[1-9][0-9]{0,6}\\.xml$"]],
                ]),
            ],
            "/robots.txt": [
                "get": site("getRobots", "robots.txt, naming the sitemap", type: "text/plain"),
            ],
            "/feeds/{file}": [
                "get": site("getFeed", "The Atom feed of a public type's newest published entries", type: "application/atom+xml", parameters: [
                    ["name": "file", "in": "path", "required": true, "schema": ["type": "string", "pattern": "^[a-z][a-z0-9_-]{0,63}\\.atom$"]],
                ]),
            ],
            "/v1/content/{type}/published": [
                "get": operation("listPublished", "Published entries of a type (public types need no token)", secured: false, parameters: [
                    typeParameter, localeParameter, Doc.limitParameter, ifNoneMatch, expandParameter,
                    ["name": "cursor", "in": "query", "description": "next_cursor of the previous page in the same order", "schema": ["type": "string", "maxLength": 2_000]],
                    [
                        "name": "filter", "in": "query",
                        "description": "field:value pairs separated by commas (or repeated), each an equality on an indexed field; all must hold",
                        "schema": ["type": "string", "maxLength": 2_000],
                    ],
                    [
                        "name": "sort", "in": "query",
                        "description": "An indexed field or published_at, '-' first for descending; entries without a value come last",
                        "schema": ["type": "string", "pattern": "^-?[a-z][a-z0-9_]{0,63}$"],
                    ],
                ], responses: [
                    "200": Doc.jsonResponse("A page of published entries", schema: Doc.page(of: Doc.ref("PublishedEntry"))),
                    "304": ["description": "If-None-Match names this page"], "404": Doc.problemResponse("No such type, or not public"),
                ]),
            ],
            "/v1/content/{type}/published/by-slug/{slug}": [
                "get": operation("getPublishedBySlug", "A published entry by its slug; an old slug redirects", secured: false, parameters: [
                    typeParameter, ["name": "slug", "in": "path", "required": true, "schema": ["type": "string", "maxLength": 200]], localeParameter, ifNoneMatch, expandParameter,
                ], responses: [
                    "200": Doc.jsonResponse("The published entry", schema: Doc.ref("PublishedEntry")),
                    "301": ["description": "The slug is an old one: Location names the current one", "headers": ["Location": ["schema": ["type": "string"]]]],
                    "304": ["description": "If-None-Match names this version"], "404": Doc.problemResponse("Nothing published under the slug"),
                ]),
            ],
            "/v1/content/{type}/entries/{id}/preview-token": [
                "post": operation("createPreviewToken", "A signed, expiring link that shows the entry's drafts to someone without an account (who may edit the entry)",
                    body: ["type": "object", "properties": [
                        "expires_in": [
                            "type": ["integer", "null"], "minimum": 60, "maximum": 604_800,
                            "description": "seconds; the default lifetime (APUS_CONTENT_PREVIEW_LIFETIME) when left out or null",
                        ],
                    ]], bodyRequired: false,
                    parameters: entryPath, responses: [
                        "201": Doc.jsonResponse("The token, when it expires, and the preview's URL (also Location)", schema: Doc.ref("PreviewToken")),
                        "403": Doc.problemResponse("The caller may not edit the entry"), "404": notFound,
                    ]),
            ],
            "/v1/content/{type}/preview/{token}": [
                "get": operation("getPreview", "The entry's drafts as readers would get them published, for who holds a preview token", secured: false, parameters: [
                    typeParameter, ["name": "token", "in": "path", "required": true, "schema": ["type": "string", "maxLength": 2_000]], localeParameter, expandParameter,
                ], responses: [
                    "200": Doc.jsonResponse("The draft, rendered", schema: Doc.ref("PublishedEntry")),
                    "401": Doc.problemResponse("The token is not genuine or has expired"),
                    "404": Doc.problemResponse("No such type, the token is for another, or the entry was deleted"),
                ]),
            ],
        ],
        schemas: [
            "Field": [
                "type": "object", "required": ["name", "kind"],
                "properties": [
                    "name": ["type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"],
                    "kind": ["type": "string", "enum": .array(FieldDefinition.Kind.allCases.map { .string($0.rawValue) })],
                    "required": ["type": "boolean"], "unique": ["type": "boolean"], "localised": ["type": "boolean"],
                    "max_length": ["type": "integer", "minimum": 1, "maximum": 1_000_000],
                    "values": ["type": "array", "maxItems": 200, "items": ["type": "string", "minLength": 1, "maxLength": 200]],
                    "from": ["type": "string"], "to": ["type": "string", "pattern": apiIDPattern],
                    "indexed": ["type": "boolean", "description": "Filter and sort the delivery API by it (scalar fields that are not localised)"],
                ],
            ],
            "NewContentType": [
                "type": "object", "required": ["name", "api_id"],
                "properties": typeProperties(withAPIID: true),
            ],
            "ContentTypePatch": ["type": "object", "properties": typeProperties(withAPIID: false)],
            "ContentType": [
                "type": "object",
                "required": ["id", "name", "api_id", "public", "default_locale", "locales", "fields", "version", "created_at", "updated_at"],
                "properties": typeProperties(withAPIID: true).merging([
                    "id": ["type": "string", "pattern": Doc.idPattern], "version": ["type": "integer"],
                    "created_at": Doc.time, "updated_at": Doc.time,
                ]),
            ],
            "EntryValues": [
                "type": "object",
                "description": "Field values at the top level by field name, beside publish_at, unpublish_at and change_note.",
                "properties": [
                    "publish_at": Doc.optionalTime, "unpublish_at": Doc.optionalTime,
                    "change_note": ["type": "string", "maxLength": 500, "pattern": Doc.noNUL],
                ],
                "additionalProperties": true,
            ],
            "ContentEntry": [
                "type": "object",
                "required": ["id", "type", "status", "locale", "author_id", "version", "has_unpublished_changes", "created_at", "updated_at"],
                "properties": [
                    "id": ["type": "string", "pattern": Doc.idPattern], "type": ["type": "string"],
                    "status": ["type": "string", "enum": .array(EntryStatus.allCases.map { .string($0.rawValue) })],
                    "locale": ["type": "string"], "author_id": ["type": "string"], "version": ["type": "integer"],
                    "has_unpublished_changes": ["type": "boolean"],
                    "publish_at": Doc.optionalTime, "unpublish_at": Doc.optionalTime, "published_at": Doc.optionalTime,
                    "created_at": Doc.time, "updated_at": Doc.time,
                ],
                "additionalProperties": true,
            ],
            "PublishedEntry": [
                "type": "object", "required": ["id", "type", "locale", "published_at"],
                "description": "The published field values beside id, type, locale and published_at; rich text as safe HTML.",
                "properties": [
                    "id": ["type": "string", "pattern": Doc.idPattern], "type": ["type": "string"], "locale": ["type": "string"],
                    "published_at": Doc.optionalTime,
                ],
                "additionalProperties": true,
            ],
            "PreviewToken": [
                "type": "object", "required": ["token", "expires_at", "url"],
                "properties": ["token": ["type": "string"], "expires_at": Doc.time, "url": ["type": "string"]],
            ],
            "Revision": [
                "type": "object", "required": ["id", "number", "locale", "author_id", "autosave", "created_at", "updated_at", "values"],
                "properties": [
                    "id": ["type": "string"], "number": ["type": "integer"], "locale": ["type": "string"], "author_id": ["type": "string"],
                    "change_note": ["type": ["string", "null"]], "autosave": ["type": "boolean"], "created_at": Doc.time, "updated_at": Doc.time,
                    "values": ["type": "object"],
                ],
            ],
            "SearchHit": [
                "type": "object", "required": ["id", "type", "locale", "state", "title", "snippet", "score"],
                "properties": [
                    "id": ["type": "string", "pattern": Doc.idPattern], "type": ["type": "string"], "locale": ["type": "string"],
                    "state": ["type": "string", "enum": ["published", "draft"]], "title": ["type": "string"], "snippet": ["type": "string"],
                    "score": ["type": "number"],
                ],
            ],
            "RevisionDiff": [
                "type": "object", "required": ["from", "to", "changes"],
                "properties": [
                    "from": ["type": "integer"], "to": ["type": "integer"],
                    "changes": ["type": "array", "items": ["type": "object", "required": ["field"], "properties": ["field": ["type": "string"], "before": [:], "after": [:]]]],
                ],
            ],
        ],
        tags: [["name": "content", "description": "Content types, entries with drafts, revisions and review, and the delivery API"]]
    )

    static func typeProperties(withAPIID: Bool) -> JSONValue {
        var properties: [String: JSONValue] = [
            "name": ["type": "string", "minLength": 1, "maxLength": 200, "pattern": Doc.noNUL],
            // An optional member sent as null is as if absent: the default, or unchanged.
            "public": ["type": ["boolean", "null"]],
            "url_pattern": ["type": ["string", "null"], "maxLength": 500, "pattern": "^/[^\\s\\u0000]*$"],
            "default_locale": ["type": ["string", "null"], "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"],
            "locales": ["type": ["array", "null"], "minItems": 1, "maxItems": 50, "uniqueItems": true, "items": ["type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"]],
            "fields": ["type": ["array", "null"], "maxItems": 100, "items": Doc.ref("Field")],
        ]
        if withAPIID { properties["api_id"] = ["type": "string", "pattern": apiIDPattern] }
        return .object(properties)
    }
}
