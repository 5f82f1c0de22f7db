@testable import Content
import Testing

/// The delivered and slug caches' keys travel on the bus as text: each is read back as the key
/// it was, so an invalidation sent by one node drops the entry on another.
@Suite struct DeliveryKeyTests {
    @Test func aSlugKeyIsReadBackFromItsTextWhateverTheSlugHolds() {
        for slug in ["harbour-museum", "a|b", "", "ünïcode"] {
            let key = SlugKey(typeID: "typ_1", locale: "pt-BR", slug: slug)
            #expect(SlugKey(key.description) == key)
        }
        #expect(SlugKey("typ_1|en") == nil)
    }

    @Test func aDeliveredKeyIsReadBackFromItsText() {
        let key = DeliveredKey(entryID: "ent_1", locale: "en", typeVersion: 12)
        #expect(key.description == "ent_1|en|12")
        #expect(DeliveredKey(key.description) == key)
        #expect(DeliveredKey("ent_1|en|twelve") == nil)
        #expect(DeliveredKey("ent_1|en") == nil)
    }
}
