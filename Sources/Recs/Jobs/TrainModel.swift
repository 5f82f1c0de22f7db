import ApusCore

/// The job that runs a model's training pipeline.
enum TrainModel {
    static let kind = "recs.train"

    struct Payload: Codable { var model: String }

    static func job(model: String) throws -> NewJob {
        try NewJob(kind: kind, json: Payload(model: model), idempotencyKey: "\(kind):\(model)")
    }

    static func handler(service: RecsService) -> JobHandler {
        JobHandler(kind: kind) { job in
            try await service.train(try job.decode(Payload.self).model)
        }
    }
}

/// Training on a schedule (`APUS_RECS_TRAIN_EVERY`): each run records a model of the scheduled
/// kind with its defaults and queues its training, through the hold-out gate.
enum ScheduledTraining {
    static let kind = "recs.scheduled-train"

    static func job(every interval: Double) -> RecurringJob {
        RecurringJob(name: kind, interval: interval, job: NewJob(kind: kind))
    }

    static func handler(service: RecsService) -> JobHandler {
        JobHandler(kind: kind) { _ in
            let model = ModelKind(rawValue: service.settings.scheduledModel) ?? .als
            _ = try await service.requestTraining(TrainingRequest(model: model))
        }
    }
}
