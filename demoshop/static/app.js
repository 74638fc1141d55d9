// Gadgetry product page: fetch the product's live data and write it into the page.
(function () {
  "use strict";
  const app = document.getElementById("app");
  if (!app) return;
  const put = (selector, text) => { app.querySelector(selector).textContent = text; };
  fetch("/api/products/" + app.dataset.productId + ".json")
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then((product) => {
      put(".pdp-brand", product.brand);
      put(".pdp-sku", "SKU " + product.sku);
      app.querySelector(".pdp-sku").dataset.sku = product.sku;
      app.dataset.itemId = product.id;
      put(".pdp-price", product.price_display);
      put(".pdp-stock", product.availability_text);
      put(".pdp-rating", product.rating === null ? "No reviews yet"
        : product.rating + " out of 5 (" + product.review_count + " reviews)");
      app.dataset.state = "ready";
    })
    .catch((error) => {
      app.dataset.state = "error";
      put(".pdp-price", "Price unavailable: " + error.message);
    });
})();
