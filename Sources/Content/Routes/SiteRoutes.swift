import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// What crawlers and feed readers fetch at the site's root: `/sitemap.xml` (an index of
/// `/sitemaps/{n}.xml` past `APUS_CONTENT_SITEMAP_MAX_URLS` URLs), `/robots.txt` naming it, and
/// `/feeds/{type}.atom`. Sitemaps are streamed as they are read.
struct SiteRoutes {
    let service: ContentService
    let base: String

    static let rootSegments = ["sitemap.xml", "sitemaps", "robots.txt", "feeds"]

    func add(to router: some RouterMethods<ApusRequestContext>) {
        router.get("/sitemap.xml") { _, _ -> Response in
            switch try await service.sitemapPlan() {
            case .single:
                return streamedSitemap(child: nil)
            case .index(let children):
                var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" + #"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"# + "\n"
                for child in 1...children {
                    xml += "<sitemap><loc>\(SiteURL.xmlEscaped("\(base)/sitemaps/\(child).xml"))</loc></sitemap>\n"
                }
                return Self.xml(xml + "</sitemapindex>\n")
            }
        }
        router.get("/sitemaps/{file}") { _, context -> Response in
            let file = try context.parameters.require("file")
            guard file.hasSuffix(".xml"), let child = Int(file.dropLast(4)), child > 0, String(child) + ".xml" == file,
                  case .index(let children) = try await service.sitemapPlan(), child <= children else {
                throw Problem.notFound("No sitemap \(file).")
            }
            return streamedSitemap(child: child)
        }
        router.get("/robots.txt") { _, _ -> Response in
            let text = "User-agent: *\nAllow: /\n\nSitemap: \(base)/sitemap.xml\n"
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .contentLength: String(text.utf8.count)], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/feeds/{file}") { _, context -> Response in
            let file = try context.parameters.require("file")
            guard file.hasSuffix(".atom"), TypeRules.isValidAPIID(String(file.dropLast(5))) else { throw Problem.notFound("No feed \(file).") }
            var response = Self.xml(try await service.feed(String(file.dropLast(5)), base: base))
            response.headers[.contentType] = "application/atom+xml; charset=utf-8"
            return response
        }
    }

    private func streamedSitemap(child: Int?) -> Response {
        Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8"], body: ResponseBody { [service, base] writer in
            try await writer.write(ByteBuffer(string: #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" + #"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"# + "\n"))
            try await service.writeSitemapURLs(child: child, base: base) { chunk in try await writer.write(ByteBuffer(string: chunk)) }
            try await writer.write(ByteBuffer(string: "</urlset>\n"))
            try await writer.finish(nil)
        })
    }

    private static func xml(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .contentLength: String(text.utf8.count)], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
