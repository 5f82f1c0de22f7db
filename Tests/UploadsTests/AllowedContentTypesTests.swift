import ApusCore
import Testing
@testable import Uploads

@Suite struct AllowedContentTypesTests {
    @Test func exactTypesAndFamiliesAreAllowedAndNothingElse() throws {
        let allowed = try AllowedContentTypes(setting: " image/* , Application/PDF,")
        #expect(allowed.entries == ["image/*", "application/pdf"])
        #expect(allowed.allows("image/png"))
        #expect(allowed.allows("image/svg+xml"))
        #expect(allowed.allows("application/pdf"))
        #expect(!allowed.allows("application/pdfx"))
        #expect(!allowed.allows("imagex/png"))
        #expect(!allowed.allows("application/octet-stream"))
        #expect(AllowedContentTypes.all.allows("text/html"))
        #expect(try AllowedContentTypes(setting: "*/*").allows("text/html"))
    }

    @Test func unsetOrBlankAllowsEveryType() throws {
        #expect(try UploadsSettings(Settings([:])).allowedTypes == .all)
        #expect(try UploadsSettings(Settings(["APUS_UPLOADS_ALLOWED_TYPES": "  "])).allowedTypes == .all)
    }

    @Test(arguments: ["image", "image/png; q=1", "*/png", "image/**", "text/plain, bad type"])
    func aBadEntryStopsTheNodeNamingTheSetting(setting: String) {
        do {
            _ = try UploadsSettings(Settings(["APUS_UPLOADS_ALLOWED_TYPES": setting]))
            Issue.record("'\(setting)' was accepted")
        } catch {
            #expect("\(error)".contains("APUS_UPLOADS_ALLOWED_TYPES"))
        }
    }
}
