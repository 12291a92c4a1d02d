/** Font files are bundled as base64 text (esbuild's base64 loader). */
declare module "*.woff2" {
  const data: string;
  export default data;
}
