@_spi(Platform) import ApusCore
import ApusKit
import ApusTesting
import Foundation
@testable import Inventory
import Synchronization
import Testing

@Suite struct ProductImportTests {
    @Test func csvFieldsHonourQuotesAndARecordKnowsTheLineItStartsOn() {
        #expect(Array(CSVRecords(#"a,"b, c","say ""hi""",,d"#)) == [.init(line: 1, fields: ["a", "b, c", #"say "hi""#, "", "d"])])
        let records = Array(CSVRecords("h1,h2\r\n\"two\nlines\",x\n\nlast,\"\"\n\"open,y\nz"))
        #expect(records == [
            .init(line: 1, fields: ["h1", "h2"]),
            .init(line: 2, fields: ["two\nlines", "x"]),
            .init(line: 4, fields: [""]),
            .init(line: 5, fields: ["last", ""]),
            .init(line: 6, fields: ["open,y\nz"], unterminated: true),
        ])
        #expect(Array(CSVRecords("a,b\n")) == [.init(line: 1, fields: ["a", "b"])])
        // A quote inside an unquoted field is text, and takes no line after it.
        #expect(Array(CSVRecords("TV 55\" Pro,x\nnext,y")) == [.init(line: 1, fields: ["TV 55\" Pro", "x"]), .init(line: 2, fields: ["next", "y"])])
    }

    @Test(arguments: DatabaseEngine.allCases)
    func quotedLineBreaksKeepLineNumbersAndNULIsRefusedByLineOnBothEngines(engine: DatabaseEngine) async throws {
        try await Shop.with(engine: engine) { shop in
            let csv = "product,sku,variant,price,currency\n"
                + "\"Tee\norganic\",TEE-S,Small,1999,EUR\n"
                + "Mug,MUG-1,Mug,900,EUR\n"
                + "Cap,CAP-1,Cap,abc,EUR\n"
                + "Lamp,LAMP-1,\"Sm\u{0}all\",1000,EUR\n"
                + "Bowl,BOWL-1,Bowl,500,EUR\n"
                + "Open,OPEN-1,\"unclosed,1,EUR\nVase,VASE-1,Vase,1,EUR\n"
            let summary = try await ProductImport(platform: shop.server.platform).run(csv: csv)
            #expect(summary.products == 3 && summary.variants == 3)
            #expect(summary.refused.map(\.line) == [5, 6, 8], "\(summary.refused)")
            #expect(summary.refused.first { $0.line == 6 }?.reason == "variant must not contain the NUL character")
            #expect(summary.refused.last?.reason.contains("not closed") == true)
            let skus = try await shop.server.platform.database.read { sql in
                try await sql.raw("SELECT sku FROM inventory_variants ORDER BY sku").all().map { try $0.decode(column: "sku", as: String.self) }
            }
            #expect(skus == ["BOWL-1", "MUG-1", "TEE-S"])
        }
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
