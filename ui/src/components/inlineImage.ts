// The Image node with a view that can show files of the desk's store. The document keeps
// `src="liaison-file:<sha256>"` (what getHTML() saves); the view shows the file through a URL
// the editor resolves (a blob: URL of its bytes). Other srcs (data: URLs of old drafts) are shown
// as they are.
import { getRenderedAttributes, mergeAttributes } from "@tiptap/core";
import Image, { type ImageOptions } from "@tiptap/extension-image";
import type { Node as ProseMirrorNode } from "@tiptap/pm/model";

import { INLINE_FILE_SCHEME, inlineFileSha } from "../image";

export interface InlineImageOptions extends ImageOptions {
  /** A URL that shows the stored file with this SHA-256. */
  resolveStored: ((sha256: string) => Promise<string>) | null;
  /** Called when a stored file cannot be shown. */
  onUnavailable: ((sha256: string | null, error: unknown) => void) | null;
}

export const InlineImage = Image.extend<InlineImageOptions>({
  addOptions() {
    return {
      ...(this.parent?.() as ImageOptions),
      resolveStored: null,
      onUnavailable: null,
    };
  },

  addNodeView() {
    const { resolveStored, onUnavailable, HTMLAttributes: extra } = this.options;

    return ({ node, editor }) => {
      const img = document.createElement("img");
      let rendered: Record<string, unknown> = {};
      let shownSrc: string | null = null;
      let destroyed = false;

      const unavailable = (sha: string | null, error: unknown) => {
        img.removeAttribute("src");
        img.setAttribute("data-unavailable", "true");
        onUnavailable?.(sha, error);
      };

      const showSrc = (src: string) => {
        if (src === shownSrc) return;
        shownSrc = src;
        img.removeAttribute("data-unavailable");
        const sha = inlineFileSha(src);
        if (sha === null) {
          img.removeAttribute("data-sha256");
          if (src.startsWith(INLINE_FILE_SCHEME)) unavailable(null, new Error(`bad src ${src}`));
          else if (src) img.setAttribute("src", src);
          else img.removeAttribute("src");
          return;
        }
        img.setAttribute("data-sha256", sha);
        img.removeAttribute("src");
        if (!resolveStored) {
          unavailable(sha, new Error("no resolver for stored images"));
          return;
        }
        resolveStored(sha).then(
          (url) => {
            if (!destroyed && shownSrc === src) img.setAttribute("src", url);
          },
          (error: unknown) => {
            if (!destroyed && shownSrc === src) unavailable(sha, error);
          },
        );
      };

      const render = (current: ProseMirrorNode) => {
        const attributes = editor.extensionManager.attributes.filter(
          (a) => a.type === current.type.name,
        );
        const next: Record<string, unknown> = mergeAttributes(
          extra,
          getRenderedAttributes(current, attributes),
        );
        for (const name of Object.keys(rendered)) {
          if (name !== "src" && next[name] == null) img.removeAttribute(name);
        }
        for (const [name, value] of Object.entries(next)) {
          if (name !== "src" && value != null) img.setAttribute(name, String(value));
        }
        rendered = next;
        showSrc(typeof current.attrs.src === "string" ? current.attrs.src : "");
      };

      render(node);

      return {
        dom: img,
        update: (updated: ProseMirrorNode) => {
          if (updated.type !== node.type) return false;
          render(updated);
          return true;
        },
        destroy: () => {
          destroyed = true;
        },
      };
    };
  },
});
