// The web shop (a client source, TypeScript): the SDK keeps the user's identity,
// so only Identify events take a userId_.
import Avo from "./Avo";
import { productSearched } from "./Avo";

export function onSearch(term: string): void {
  productSearched({ searchTerm: term });
}

export function onPaid(order: { id: string; total: number }): void {
  Avo.checkoutCompleted({
    orderId: order.id,
    total: order.total,
    paymentMethod: "Card",
    isGift: false,
    revenue_: order.total,
  });
}

export function onSignUp(user: { id: string; email: string }): void {
  Avo.userSignedUp({ plan: "pro", email: user.email, userId_: user.id });
}
