import Testing
@testable import Uploads

@Suite struct ServedContentTypeTests {
    @Test func theTypeComesFromFiletypeThenContentTypeElseOctetStream() {
        #expect(ServedContentType(metadata: ["filetype": "image/PNG", "content_type": "text/plain"]).mediaType == "image/png")
        #expect(ServedContentType(metadata: ["content_type": "video/mp4; codecs=avc1"]).mediaType == "video/mp4")
        #expect(ServedContentType(metadata: [:]).mediaType == "application/octet-stream")
        #expect(ServedContentType(metadata: ["filetype": "not a type"]).mediaType == "application/octet-stream")
        #expect(ServedContentType(metadata: ["filetype": "text/html\r\nX-Evil: 1"]).mediaType == "application/octet-stream")
        #expect(ServedContentType(metadata: ["filetype": "image/"]).mediaType == "application/octet-stream")
    }

    @Test func onlyTypesABrowserCannotRunArePresentedInline() {
        for inline in ["image/png", "image/jpeg", "image/webp", "audio/ogg", "video/mp4", "text/plain"] {
            #expect(ServedContentType(declared: inline).isInline, "\(inline)")
        }
        for attached in ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/pdf", "application/javascript", "application/octet-stream"] {
            #expect(!ServedContentType(declared: attached).isInline, "\(attached)")
        }
    }

    @Test func theDispositionCarriesTheNameSafelyQuotedAndExactlyEncoded() {
        let html = ServedContentType(declared: "text/html")
        #expect(html.disposition(filename: nil) == "attachment")
        #expect(html.disposition(filename: "a \"b\"/c.html") == #"attachment; filename="a _b__c.html"; filename*=UTF-8''a%20%22b%22%2Fc.html"#)
        #expect(ServedContentType(declared: "image/png").disposition(filename: "été.png") == #"inline; filename="_t_.png"; filename*=UTF-8''%C3%A9t%C3%A9.png"#)
    }
}
