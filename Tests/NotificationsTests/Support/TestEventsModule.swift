import ApusCore

/// A module that only declares the events a test emits itself, so webhooks may subscribe to
/// them on a node that runs Notifications alone.
struct TestEventsModule: Module {
    let name = "test"
    var events: [EventDeclaration] {
        [EventDeclaration("test.thing.created", summary: "A thing a test made.", payload: ["type": "object"])]
    }

    func start(_ platform: Platform) throws -> ModuleParts { ModuleParts() }
}
