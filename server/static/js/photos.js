/* Photos from the camera input, made small on the phone before anything is sent: at most
 * 1600 px on the long side, as JPEG (a 12-megapixel photo of 4 MB becomes about 300 KB, which
 * a weak signal can carry). Identified by the SHA-256 of the reduced file: the same photo sent
 * twice is recognised by the server (DESIGN.md §3.11), and it is the answer's reference. */
(function (root) {
  "use strict";

  const MAX_SIDE = 1600;
  const QUALITY = 0.85;

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function sha256(blob) {
    return hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  }

  /* The reduced JPEG of an image file; a file the browser cannot decode is refused here. */
  async function reduce(file) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      throw new Error("Ce fichier n’est pas une image lisible : « " + file.name + " ».");
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const blob = await new Promise((resolve, reject) =>
      canvas.toBlob((result) => (result ? resolve(result) : reject(new Error("JPEG impossible"))),
        "image/jpeg", QUALITY));
    return { blob, width, height, sha256: await sha256(blob) };
  }

  root.BarometrePhotos = { reduce, sha256, MAX_SIDE };
})(window);
