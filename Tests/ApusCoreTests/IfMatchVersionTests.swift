import ApusCore
import HTTPTypes
import Testing

@Suite struct IfMatchVersionTests {
    func version(_ header: String?, required: Bool = true) throws(Problem) -> Int? {
        var headers: HTTPFields = [:]
        if let header { headers[.ifMatch] = header }
        return try IfMatch.version(headers, required: required, detail: "Send If-Match.")
    }

    @Test func aVersionTagNamesItsNumberAndStarAnyVersion() throws {
        #expect(try version("\"3\"") == 3)
        #expect(try version("*") == nil)
        #expect(try version(nil, required: false) == nil)
        #expect(try version("", required: false) == nil)
    }

    @Test func missingOrMalformedConditionsAreRefused() {
        for bad in ["\"x\"", "\"0\"", "\"1\", \"2\"", "W/x", ""] {
            do {
                _ = try version(bad)
                Issue.record("\(bad) was taken")
            } catch {
                #expect(error.status == .badRequest, "\(bad)")
            }
        }
        do { _ = try version(nil); Issue.record("absent was taken") } catch { #expect(error.status == .preconditionRequired) }
    }
}
