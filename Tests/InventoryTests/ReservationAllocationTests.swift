@testable import Inventory
import Testing

/// A batch shares its stock out exactly: each checkout in arrival order takes all its lines or
/// none from what is left, and a refused one takes nothing.
@Suite struct ReservationAllocationTests {
    let a = ReservationAllocation.Row(variantID: "var_a", locationID: "loc_1")
    let b = ReservationAllocation.Row(variantID: "var_b", locationID: "loc_1")

    @Test func checkoutsTakeInArrivalOrderAndAShortOneTakesNothing() {
        var allocation = ReservationAllocation(available: [a: 3, b: 1])
        #expect(allocation.take([(a, 2), (b, 1)]).isEmpty)
        // Enough of A is left, but B is gone: nothing of A is taken either.
        #expect(allocation.take([(a, 1), (b, 1)]) == [.init(line: 1, available: 0)])
        #expect(allocation.take([(a, 1)]).isEmpty)
        #expect(allocation.take([(a, 1)]) == [.init(line: 0, available: 0)])
        #expect(allocation.taken == [a: 3, b: 1])
        #expect(allocation.available == [a: 0, b: 0])
    }

    @Test func aRowNeverStockedHasNothingAndEveryShortLineIsNamed() {
        var allocation = ReservationAllocation(available: [a: 1])
        #expect(allocation.take([(a, 2), (b, 1)]) == [.init(line: 0, available: 1), .init(line: 1, available: 0)])
        #expect(allocation.taken.isEmpty)
    }

    @Test func rowsSortInTheGlobalLockOrder() {
        let elsewhere = ReservationAllocation.Row(variantID: "var_a", locationID: "loc_2")
        #expect([b, elsewhere, a].sorted() == [a, elsewhere, b])
    }
}
