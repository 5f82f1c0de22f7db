public import ApusCore
import Chat
import Content
import Inventory
import Links
import Logs
import Notifications
import Recs
import Uploads

/// The modules this binary ships: the one list the `apus` command starts from (`APUS_MODULES`
/// picks among them) and the module contract tests check. A new module is added here.
public enum ShippedModules {
    /// A fresh instance of every shipped module.
    public static func all() -> [any Module] {
        [LinksModule(), NotificationsModule(), InventoryModule(), UploadsModule(), ChatModule(), LogsModule(), ContentModule(), RecsModule()]
    }
}
