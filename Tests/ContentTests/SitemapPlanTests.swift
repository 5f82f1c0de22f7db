@_spi(Platform) import ApusCore
import ApusTesting
@testable import Content
import SQLKit
import Testing

/// A sitemap page is one index range read on both engines: from its key along the locales
/// table's primary key, in that order, with no sort of every published entry per page (which
/// SQLite's planner chose without statistics, making a large sitemap quadratic). On PostgreSQL
/// sequential scans and sorts are turned off, so the check asks whether the index can serve the
/// page in order, not what a tiny table costs (with a page far smaller than the table, its
/// planner takes that walk).
@Suite struct SitemapPlanTests {
    @Test(arguments: DatabaseEngine.allCases)
    func aPageReadsTheLocalesKeyRangeWithoutSorting(engine: DatabaseEngine) async throws {
        try await CMS.with(engine: engine) { cms in
            try await cms.type()
            for n in 1...3 {
                #expect(try await cms.move(try await cms.entry(#"{"title":"Post \#(n)"}"#), "publish").status == .ok)
            }
            let statement = SitemapStore.pageStatement(
                from: ("ent_x", "en"), inclusive: false, limit: 2_000, slugFields: ["ctt_x": "slug"], postgres: engine == .postgres
            )
            let plan = try await QueryPlan.of(
                statement, engine: engine, on: cms.server.platform.database, settings: QueryPlan.indexesOnly + ["SET LOCAL enable_sort = off"]
            )
            if engine == .postgres {
                #expect(plan.contains("content_entry_locales_pkey"), "\(plan)")
                #expect(!plan.contains("Sort"), "\(plan)")
            } else {
                #expect(plan.contains("SEARCH l USING INDEX sqlite_autoindex_content_entry_locales_1 ((entry_id,locale)>(?,?))"), "\(plan)")
                #expect(!plan.contains("TEMP B-TREE") && !plan.contains("content_entries_schedule"), "\(plan)")
            }
        }
    }
}
