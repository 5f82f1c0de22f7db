import ApusCore

/// The jobs of a training run, one kind per step (`recs.extract` … `recs.publish`): each runs
/// its step on whichever node claims it and queues the next when it is done.
enum StepJob {
    struct Payload: Codable { var model: String }

    /// Attempts a step's job has: a step that finds another run training waits for it by
    /// retrying every ``lockRetrySeconds``, which counts as an attempt, and a long training (an
    /// EASE inverse, ALS on millions of interactions) must not use a queued run's attempts up.
    /// Together, about 80 minutes.
    static let maxAttempts = 2_500
    static let lockRetrySeconds = 2.0

    static func job(_ step: PipelineStep, model: String) throws -> NewJob {
        var job = try NewJob(kind: step.jobKind, json: Payload(model: model), idempotencyKey: "\(step.jobKind):\(model)")
        job.maxAttempts = maxAttempts
        return job
    }

    static func handlers(service: RecsService) -> [JobHandler] {
        PipelineStep.allCases.map { step in
            JobHandler(kind: step.jobKind) { job in
                _ = try await service.run(step, model: try job.decode(Payload.self).model, queue: true)
            }
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
