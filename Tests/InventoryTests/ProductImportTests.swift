import ApusCore
import ApusTesting
import Foundation
@testable import Inventory
import Synchronization
import Testing

@Suite struct ProductImportTests {
    @Test func csvFieldsHonourQuotes() {
        #expect(ProductImport.fields(#"a,"b, c","say ""hi""",,d"#) == ["a", "b, c", #"say "hi""#, "", "d"])
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aCSVBecomesProductsWithStockAndBadProductsAreReportedByLine(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let csv = """
                product,sku,variant,price,currency,published,stock,location
                "Tee, organic",TEE-S,Small,1999,EUR,yes,10,main
                "Tee, organic",TEE-M,Medium,1999,EUR,yes,4,berlin
                Mug,MUG-1,Mug,abc,EUR,no,,
                Cap,CAP-1,Cap,900,EURO,no,,
                """
            let seen = Mutex<[Int]>([])
            let summary = try await ProductImport(platform: shop.server.platform).run(csv: csv) { done, _ in seen.withLock { $0.append(done) } }
            #expect(summary.products == 1 && summary.variants == 2)
            #expect(summary.refused.map(\.line) == [4, 5])
            #expect(seen.withLock { $0 } == [1, 2, 3])
            #expect(try await shop.stock("TEE-S").onHand == 10)
            let medium = try await shop.stock("TEE-M")
            #expect(medium.levels.map(\.location) == ["berlin"] && medium.onHand == 4)
            try await shop.expectStockRebuildsFromMovements()
        }
    }
}
