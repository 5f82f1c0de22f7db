@testable import Recs
import Testing

/// The list cache's keys travel on the bus as text: each is read back as the key it was, so an
/// interaction recorded on one node drops that user's list on every other.
@Suite struct ListKeyTests {
    @Test func aListKeyIsReadBackFromItsTextWhateverItsSubject() {
        for subject in [ListSubject.user("u1"), .user("a|b:c"), .item("movie:42"), .popular] {
            let key = ListKey(model: "mdl_0123456789abcdef", subject: subject)
            #expect(ListKey(key.description) == key)
        }
    }

    @Test func aListKeyIsWrittenAsItsModelAndStoredSubject() {
        #expect(ListKey(model: "mdl_1", subject: .user("u1")).description == "mdl_1|u:u1")
        #expect(ListKey(model: "mdl_1", subject: .item("i1")).description == "mdl_1|i:i1")
        #expect(ListKey(model: "mdl_1", subject: .popular).description == "mdl_1|popular")
        for text in ["mdl_1", "mdl_1|", "mdl_1|x:u1", "mdl_1|populars"] {
            #expect(ListKey(text) == nil, "\(text)")
        }
    }
}
