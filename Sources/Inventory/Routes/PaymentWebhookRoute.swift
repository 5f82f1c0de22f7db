import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /v1/payments/webhook`: the payment provider's deliveries. No user signs in here; the
/// `Stripe-Signature` over the exact bytes of the body is the authentication.
struct PaymentWebhookRoute {
    let service: InventoryService
    static let signatureHeader = HTTPField.Name("Stripe-Signature")!

    func add(to router: some RouterMethods<ApusRequestContext>) {
        router.post("/v1/payments/webhook") { request, context -> PaymentReceipt in
            let buffer = try await request.body.collect(upTo: context.maxUploadSize)
            return try await service.receivePayment(payload: Array(buffer.readableBytesView), signature: request.headers[Self.signatureHeader])
        }
    }
}

extension PaymentReceipt: ResponseEncodable {}
extension Movement: ResponseEncodable {}
