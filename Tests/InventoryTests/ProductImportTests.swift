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

    @Test(arguments: DatabaseEngine.allCases)
    func aRefusalNamesTheFaultyRowAndLeavesNothingOfItsProduct(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let csv = """
                product,sku,variant,price,currency,published,stock,location
                Lamp,LAMP-1,Small,1000,EUR,yes,5,main
                Lamp,LAMP-2,Large,-300,EUR,yes,5,main
                Tee,TEE-1,One,1000,EUR,yes,3,main

                Copy,COPY-1,One,1000,EUR,yes,,
                Copy,TEE-1,Two,1000,EUR,yes,,
                Bowl,BOWL-1,One,1000,EUR,yes,2,main
                Bowl,BOWL-2,Two,1000,EUR,yes,-3,main
                Vase,VASE-1,One,1000,EUR,yes,1,*
                """
            let summary = try await ProductImport(platform: shop.server.platform).run(csv: csv)
            #expect(summary.products == 1 && summary.variants == 1)
            // Line numbers are the file's, blank line included.
            #expect(summary.refused.map(\.line) == [3, 7, 9, 10])
            #expect(summary.refused.first?.reason.contains("price") == true)
            #expect(summary.refused.dropFirst().first?.reason == "SKU TEE-1 is taken.")
            // Nothing of a refused product is created, not even the stock of its good rows.
            for sku in ["LAMP-1", "COPY-1", "BOWL-1", "VASE-1"] {
                #expect(try await shop.client.json("/v1/inventory/stock?sku=\(sku)", .get, token: shop.admin).status == .unprocessableContent)
            }
            #expect(try await shop.stock("TEE-1").onHand == 3)
        }
    }
}
