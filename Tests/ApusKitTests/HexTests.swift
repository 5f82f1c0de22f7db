import ApusKit
import Testing

@Suite struct HexTests {
    @Test func bytesAreTwoLowerCaseDigitsEach() {
        #expect([UInt8]().hexEncoded == "")
        #expect([0x00, 0x0F, 0xA5, 0xFF].hexEncoded == "000fa5ff")
        #expect((0...255).map { UInt8($0) }.hexEncoded.count == 512)
    }
}
