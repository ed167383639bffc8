const { orderShipped } = require("./avo");

function ship(order) {
  orderShipped({ orderId: order.id });
  orderShipped({ orderId: order.id, userId_: order.customer });
}

module.exports = { ship };
