import ApusCore
import Foundation

extension ContentService {
    /// A move through the workflow that an editor or author asks for by name.
    enum Transition: String, Sendable, CaseIterable {
        case submit, publish, unpublish, archive

        var action: ContentAccess.Action {
            switch self {
            case .submit: .submit
            case .publish: .publish
            case .unpublish: .unpublish
            case .archive: .archive
            }
        }
    }

    /// Moves the entry through the workflow, if it is still at `version` when one is given.
    func transition(_ transition: Transition, _ apiID: String, _ id: String, locale requested: String?, version: Int?, by principal: Principal?) async throws -> EntryDocument {
        let type = try await type(apiID)
        let locale = try type.locale(requested)
        return try await platform.transaction { [self] transaction in
            try await transaction.lock(ContentModule.name, "entry:\(id)")
            var entry = try await existing(id, of: type, on: transaction)
            try ContentAccess.check(transition.action, by: principal, entry: entry)
            if let version, entry.version != version { throw Self.stale }
            switch transition {
            case .submit:
                guard entry.status == .draft else { throw Problem.conflict("Only a draft can be submitted for review; this entry is \(entry.status.rawValue).") }
                entry.status = .inReview
                try await bump(&entry, in: transaction)
                try await transaction.emit(ContentEvents.updated, aggregate: id, json: payload(entry, type: type, values: try await entryStore.values(of: id, on: transaction.sql)))
            case .publish:
                try await publish(&entry, type: type, in: transaction)
            case .unpublish:
                guard entry.status == .published || entry.status == .scheduled else {
                    throw Problem.conflict("Only a published or scheduled entry can be unpublished; this entry is \(entry.status.rawValue).")
                }
                try await withdraw(&entry, to: .draft, type: type, in: transaction)
            case .archive:
                guard entry.status != .archived else { throw Problem.conflict("The entry is archived already.") }
                try await withdraw(&entry, to: .archived, type: type, in: transaction)
            }
            let values = try await entryStore.values(of: id, locales: [type.defaultLocale, locale], on: transaction.sql)
            return EntryDocument(entry: entry, type: type, locale: locale, values: EntryValues.merged(values.draft, locale: locale, type: type))
        }
    }

    /// Makes the drafts of every locale what readers see, and records the slugs they are
    /// published under so that an old one keeps leading here.
    func publish(_ entry: inout EntryRecord, type: ContentType, in transaction: Transaction) async throws {
        let oldSlugs = try await publishedSlugs(of: entry.id, on: transaction)
        try await entryStore.publishDrafts(of: entry.id, on: transaction.sql)
        let values = try await entryStore.values(of: entry.id, on: transaction.sql)
        try await fieldIndex.replace(entry: entry.id, type: type, published: values.published[type.defaultLocale] ?? [:], on: transaction.sql)
        try await searchStore.remove(entry: entry.id, state: "published", on: transaction.sql)
        for locale in values.published.keys.sorted() where type.locales.contains(locale) {
            try await index(
                entry.id, type: type, locale: locale, state: "published", values: EntryValues.merged(values.published, locale: locale, type: type),
                replacing: false, on: transaction
            )
        }
        if let field = type.slugField {
            for (locale, row) in values.published {
                guard case .string(let slug)? = row[field.name] else { continue }
                try await uniqueStore.recordPublished(slug: slug, locale: locale, type: type.id, entryID: entry.id, on: transaction.sql)
                if !oldSlugs.contains(where: { $0.locale == locale && $0.slug == slug }) {
                    transaction.invalidate(slugCache, SlugKey(typeID: type.id, locale: locale, slug: slug))
                }
            }
        }
        entry.status = .published
        entry.publishedAt = transaction.now()
        entry.publishAt = nil
        entry.unpublishedChanges = false
        try await bump(&entry, in: transaction)
        invalidateDelivery(of: entry.id, type: type, slugs: oldSlugs, in: transaction)
        try await transaction.emit(ContentEvents.published, aggregate: entry.id, json: payload(entry, type: type, values: values))
    }

    /// Takes the entry away from readers (its drafts stay), cancelling its schedules.
    func withdraw(_ entry: inout EntryRecord, to status: EntryStatus, type: ContentType, in transaction: Transaction) async throws {
        let wasPublished = entry.status == .published
        try await entryStore.withdraw(entry.id, on: transaction.sql)
        try await fieldIndex.remove(entry: entry.id, on: transaction.sql)
        try await searchStore.remove(entry: entry.id, state: "published", on: transaction.sql)
        entry.status = status
        entry.publishAt = nil
        entry.unpublishAt = nil
        entry.unpublishedChanges = false
        try await bump(&entry, in: transaction)
        invalidateDelivery(of: entry.id, type: type, slugs: try await publishedSlugs(of: entry.id, on: transaction), in: transaction)
        let values = try await entryStore.values(of: entry.id, on: transaction.sql)
        if wasPublished { try await transaction.emit(ContentEvents.unpublished, aggregate: entry.id, json: payload(entry, type: type, values: values)) }
        if status == .archived { try await transaction.emit(ContentEvents.archived, aggregate: entry.id, json: payload(entry, type: type, values: values)) }
    }

    /// Applies the schedule a save asks for: a publication time makes the entry `scheduled`
    /// (a published one stays published until then) and enqueues the job that publishes it; a
    /// cleared one cancels. A moved time enqueues a new job, and the old one finds the entry no
    /// longer due at its time and does nothing.
    func schedule(_ changes: EntryChanges, for entry: inout EntryRecord, in transaction: Transaction) async throws {
        if let publishAt = changes.publishAt {
            entry.publishAt = publishAt
            if let time = publishAt {
                if entry.status != .published { entry.status = .scheduled }
                try await transaction.enqueue(try ScheduledTransition.job(entry: entry.id, action: .publish, at: time))
            } else if entry.status == .scheduled {
                entry.status = .draft
            }
        }
        if let unpublishAt = changes.unpublishAt {
            entry.unpublishAt = unpublishAt
            if let time = unpublishAt {
                try await transaction.enqueue(try ScheduledTransition.job(entry: entry.id, action: .unpublish, at: time))
            }
        }
    }

    /// Runs a scheduled publication or withdrawal, if the entry is still due for it at `time`:
    /// a schedule moved or cancelled since the job was enqueued leaves it nothing to do.
    func runScheduled(_ action: ScheduledTransition.Action, entry id: String, at time: Date) async throws {
        try await platform.transaction { [self] transaction in
            try await transaction.lock(ContentModule.name, "entry:\(id)")
            guard var entry = try await entryStore.entry(id, on: transaction.sql),
                  let type = try await typeStore.type(id: entry.typeID, on: transaction.sql) else { return }
            switch action {
            case .publish:
                guard let due = entry.publishAt, Timestamp.format(due) == Timestamp.format(time), entry.status != .archived else { return }
                try await publish(&entry, type: type, in: transaction)
                metrics.scheduledRun(lateBy: transaction.now().timeIntervalSince(time))
            case .unpublish:
                guard let due = entry.unpublishAt, Timestamp.format(due) == Timestamp.format(time), entry.status == .published else { return }
                try await withdraw(&entry, to: .draft, type: type, in: transaction)
                metrics.scheduledRun(lateBy: transaction.now().timeIntervalSince(time))
            }
        }
    }

    /// Counts the schedules past their time that no node has run yet.
    func countOverdueSchedules() async throws {
        let now = platform.now()
        // A minute's grace: a job due now is not late because the count ran first.
        let overdue = try await platform.read { [entryStore] sql in try await entryStore.overdueSchedules(before: now.addingTimeInterval(-60), on: sql) }
        metrics.overdue(overdue)
    }
}
