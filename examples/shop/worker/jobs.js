// The fulfilment worker (a server source, JavaScript, CommonJS).
const Avo = require("./avo");

function shipOrder(order) {
  // The worker's source has `anonymous_id: false`: userId_ is required.
  Avo.orderShipped({ orderId: order.id, userId_: order.customerId });
}

module.exports = { shipOrder };
