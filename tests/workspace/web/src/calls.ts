import Avo from "./Avo";
import { userSignedUp as signedUp } from "./Avo";

export function examples(user: { id: string }, extra: any): void {
  signedUp({ plan: "pro", email: "a@b.c" });
  Avo.userSignedUp({ plan: "pro", email: "a@b.c", userId_: user.id });
  Avo.productSearch({ searchTerm: "x" });
  Avo.cartViewed({ pageName: "cart" });
  Avo.productSearched({ searchTerm: "x", query: "y" });
  Avo.checkoutStarted({ itemCount: 501, itemIds: ["a"] });
  Avo.checkoutCompleted({ ...extra });
}
