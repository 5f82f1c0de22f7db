import ApusCore
import Foundation
import SQLKit

/// The SQL of model records, the published model, and what serving reads: lists and factors.
struct ModelStore: Sendable {
    func insert(_ record: ModelRecord, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO recs_models (id, model, status, parameters, created_at)
            VALUES (\(bind: record.id), \(bind: record.model.rawValue), \(bind: record.status.rawValue),
                    \(bind: try RecsJSON.string(record.parameters)), \(bind: record.createdAt.epochMilliseconds))
            """).run()
    }

    func setStatus(_ id: String, _ status: ModelStatus, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE recs_models SET status = \(bind: status.rawValue) WHERE id = \(bind: id)").run()
    }

    /// Records where a run is: its status, steps, evaluation, figures, error and end.
    func saveRun(_ record: ModelRecord, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            UPDATE recs_models SET status = \(bind: record.status.rawValue), steps = \(bind: try RecsJSON.string(record.steps)),
                evaluation = \(bind: try record.evaluation.map(RecsJSON.string)), stats = \(bind: try record.stats.map(RecsJSON.string)),
                error = \(bind: record.error), finished_at = \(bind: record.finishedAt?.epochMilliseconds)
            WHERE id = \(bind: record.id)
            """).run()
    }

    /// Records a running step's progress.
    func saveSteps(_ steps: [StepRecord], model id: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE recs_models SET steps = \(bind: try RecsJSON.string(steps)) WHERE id = \(bind: id)").run()
    }

    func find(_ id: String, on sql: any SQLDatabase) async throws -> ModelRecord? {
        let current = try await currentID(on: sql)
        return try await sql.raw("SELECT * FROM recs_models WHERE id = \(bind: id)").first().map { try Self.decode($0, current: current) }
    }

    /// Models newest first, after the cursor `after` (an id).
    func list(limit: Int, after: String?, on sql: any SQLDatabase) async throws -> [ModelRecord] {
        let current = try await currentID(on: sql)
        let rows = if let after {
            try await sql.raw("SELECT * FROM recs_models WHERE id < \(bind: after) ORDER BY id DESC LIMIT \(bind: limit)").all()
        } else {
            try await sql.raw("SELECT * FROM recs_models ORDER BY id DESC LIMIT \(bind: limit)").all()
        }
        return try rows.map { try Self.decode($0, current: current) }
    }

    /// The published model's id.
    func currentID(on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("SELECT model_id FROM recs_current WHERE slot = 1").first()?.decode(column: "model_id", as: String.self)
    }

    /// Makes `id` the published model; the one before it is retired.
    func publish(_ id: String, at time: Date, on sql: any SQLDatabase) async throws {
        if let previous = try await currentID(on: sql), previous != id {
            try await setStatus(previous, .retired, on: sql)
        }
        try await sql.raw("""
            INSERT INTO recs_current (slot, model_id) VALUES (1, \(bind: id))
            ON CONFLICT (slot) DO UPDATE SET model_id = excluded.model_id
            """).run()
        try await sql.raw("""
            UPDATE recs_models SET status = \(bind: ModelStatus.published.rawValue), published_at = \(bind: time.epochMilliseconds)
            WHERE id = \(bind: id)
            """).run()
    }

    /// Writes precomputed lists for `model`, replacing any with the same subject.
    func writeLists(_ lists: [(subject: ListSubject, items: String)], model: String, on sql: any SQLDatabase) async throws {
        for chunk in stride(from: 0, to: lists.count, by: 200) {
            var query = SQLQueryString("INSERT INTO recs_lists (model_id, subject, items) VALUES ")
            for (index, list) in lists[chunk..<min(chunk + 200, lists.count)].enumerated() {
                if index > 0 { query.appendLiteral(", ") }
                query.appendInterpolation("(\(bind: model), \(bind: list.subject.description), \(bind: list.items))" as SQLQueryString)
            }
            query.appendLiteral(" ON CONFLICT (model_id, subject) DO UPDATE SET items = excluded.items")
            try await sql.raw(query).run()
        }
    }

    /// One precomputed list's JSON.
    func list(model: String, subject: ListSubject, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("SELECT items FROM recs_lists WHERE model_id = \(bind: model) AND subject = \(bind: subject.description)")
            .first()?.decode(column: "items", as: String.self)
    }

    /// Removes the lists and factors of every model that has ended but `publishing` (about to
    /// be the published one) and the `keep` most recently published before it.
    func prune(keeping keep: Int, publishing current: String, on sql: any SQLDatabase) async throws {
        let kept = try await sql.raw("""
            SELECT id FROM recs_models WHERE status = \(bind: ModelStatus.retired.rawValue) AND published_at IS NOT NULL
            ORDER BY published_at DESC, id DESC LIMIT \(bind: keep)
            """).all().map { try $0.decode(column: "id", as: String.self) }
        let running = [ModelStatus.queued.rawValue, ModelStatus.training.rawValue]
        let doomed = try await sql.raw("""
            SELECT id FROM recs_models m WHERE m.status NOT IN (\(bind: running[0]), \(bind: running[1]))
              AND EXISTS (SELECT 1 FROM recs_lists l WHERE l.model_id = m.id AND l.subject = 'popular')
            """).all().map { try $0.decode(column: "id", as: String.self) }
            .filter { $0 != current && !kept.contains($0) }
        for id in doomed {
            try await sql.raw("DELETE FROM recs_lists WHERE model_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM recs_factors WHERE model_id = \(bind: id)").run()
        }
    }

    /// Whether `model` still has its lists (a model pruned past `APUS_RECS_KEEP_MODELS` has none).
    func hasLists(_ model: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("SELECT 1 AS one FROM recs_lists WHERE model_id = \(bind: model) AND subject = 'popular'").first() != nil
    }

    func saveFactors(_ data: String, model: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO recs_factors (model_id, data) VALUES (\(bind: model), \(bind: data))
            ON CONFLICT (model_id) DO UPDATE SET data = excluded.data
            """).run()
    }

    func factors(model: String, on sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("SELECT data FROM recs_factors WHERE model_id = \(bind: model)").first()?.decode(column: "data", as: String.self)
    }

    private static func decode(_ row: any SQLRow, current: String?) throws -> ModelRecord {
        let id = try row.decode(column: "id", as: String.self)
        return ModelRecord(
            id: id,
            model: ModelKind(rawValue: try row.decode(column: "model", as: String.self)) ?? .popularity,
            status: ModelStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            parameters: try RecsJSON.decode(TrainingRequest.self, try row.decode(column: "parameters", as: String.self)),
            evaluation: try row.decode(column: "evaluation", as: String?.self).map { try RecsJSON.decode(Evaluation.self, $0) },
            stats: try row.decode(column: "stats", as: String?.self).map { try RecsJSON.decode(TrainingStats.self, $0) },
            error: try row.decode(column: "error", as: String?.self),
            steps: try RecsJSON.decode([StepRecord].self, try row.decode(column: "steps", as: String.self)),
            createdAt: Date(epochMilliseconds: try row.decode(column: "created_at", as: Int64.self)),
            finishedAt: try row.decode(column: "finished_at", as: Int64?.self).map(Date.init(epochMilliseconds:)),
            publishedAt: try row.decode(column: "published_at", as: Int64?.self).map(Date.init(epochMilliseconds:)),
            current: id == current
        )
    }
}
