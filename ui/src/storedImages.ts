// Object URLs of the desk's stored files, shared by every open editor (see StoredImageUrls).
import { readFile } from "./api/desk";
import { StoredImageUrls } from "./image";

export const storedImages = new StoredImageUrls((sha256) => readFile(sha256));
