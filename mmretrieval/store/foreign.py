"""The payloads of points in a collection another tool made (LangChain, LlamaIndex, plain qdrant-client).

An attached store (:mod:`mmretrieval.store.attached`) writes mmretrieval's points into one dense vector
of such a collection and leaves every other point alone:

- mmretrieval's points carry ``indexed_by: "mmretrieval"`` and the model that made them
  (``mmretrieval_model``); reconciling, pruning and the model check read only points so marked;
- each also carries what the other tools read back: LangChain's ``page_content`` + ``metadata``
  (its ``QdrantVectorStore`` defaults) and LlamaIndex's ``_node_content`` (a serialised
  ``ImageNode``/``TextNode``) + ``_node_type`` + ``doc_id``/``document_id``/``ref_doc_id``
  (what ``llama_index.core.vector_stores.utils.node_to_metadata_dict`` writes);
- reading, the other tools' points come back as ``kind: "text"`` with their text under ``text``.
"""

from __future__ import annotations

import json
from typing import Optional

from . import payload as P

OWNER_KEY, OWNER = "indexed_by", "mmretrieval"
RECORD_KEY = "mmretrieval_model"  # {"model", "dim", "fingerprint"} of the model that wrote the point
LANGCHAIN_CONTENT, LANGCHAIN_METADATA = "page_content", "metadata"  # langchain_qdrant.QdrantVectorStore
LLAMA_NODE_CONTENT, LLAMA_NODE_TYPE = "_node_content", "_node_type"  # llama_index node_to_metadata_dict
LLAMA_DOC_IDS = ("document_id", "doc_id", "ref_doc_id")
LLAMA_TEXT = "text"  # LlamaIndex's text_key for points without _node_content
# what other tools' loaders name a point's source file (LangChain: source, LlamaIndex: file_path)
SOURCE_KEYS = ("source", "file_path", "path")
_FOR_OTHER_TOOLS = (OWNER_KEY, RECORD_KEY, LANGCHAIN_CONTENT, LANGCHAIN_METADATA, LLAMA_NODE_CONTENT,
                    LLAMA_NODE_TYPE, *LLAMA_DOC_IDS)
# mmretrieval bookkeeping a reader (or an LLM prompt built from metadata) has no use for
_INTERNAL = (P.HASH, P.SIZE, P.MTIME, P.PASSAGE, P.START, P.END, P.TEXT)


def own_filter(kind: Optional[str] = None) -> dict:
    """A dict filter (``build_filter``) for mmretrieval's own points (of ``kind``)."""
    return {OWNER_KEY: OWNER, **({P.KIND: kind} if kind else {})}


def shared_payload(point_id: str, payload: dict, record: dict) -> dict:
    """``payload`` (mmretrieval's keys, kept at the top level) plus the owner mark, the model
    record, and LangChain's and LlamaIndex's keys, so their retrievers can show the point."""
    kind = payload.get(P.KIND, P.KIND_IMAGE)
    content = payload.get(P.TEXT) or payload.get(P.CAPTION) or payload.get(P.PATH, "")
    metadata = {k: v for k, v in payload.items() if k not in _INTERNAL}
    node_type = "ImageNode" if kind == P.KIND_IMAGE else "TextNode"
    node = {"id_": point_id, "embedding": None, "metadata": metadata, "text": content,
            "excluded_embed_metadata_keys": [], "excluded_llm_metadata_keys": [], "relationships": {},
            "mimetype": "text/plain", "start_char_idx": payload.get(P.START), "end_char_idx": payload.get(P.END),
            "class_name": node_type}
    if kind == P.KIND_IMAGE:
        node.update(image_path=payload.get(P.PATH), image_mimetype=None)
    return {
        **payload,
        OWNER_KEY: OWNER, RECORD_KEY: record,
        LANGCHAIN_CONTENT: content, LANGCHAIN_METADATA: metadata,
        LLAMA_NODE_CONTENT: json.dumps(node, ensure_ascii=False), LLAMA_NODE_TYPE: node_type,
        **{key: "None" for key in LLAMA_DOC_IDS},  # no parent document (as LlamaIndex writes it)
    }


def read_payload(payload: dict) -> dict:
    """A stored payload as mmretrieval reads it: its own keys only for its own points, another tool's
    with ``kind: "text"``, its ``text`` and (if recorded) ``path``."""
    if payload.get(OWNER_KEY) == OWNER:  # mmretrieval's own keys only, as in its own collections
        return {k: v for k, v in payload.items() if k not in _FOR_OTHER_TOOLS}
    return foreign_payload(payload)

def foreign_payload(payload: dict) -> dict:
    """Another tool's payload, with ``kind: "text"``, ``text`` and ``path`` where it has them."""
    text = foreign_text(payload)
    metadata = payload.get(LANGCHAIN_METADATA)
    metadata = metadata if isinstance(metadata, dict) else payload
    source = next((metadata[k] for k in SOURCE_KEYS if isinstance(metadata.get(k), str)), None)
    return {**payload, P.KIND: P.KIND_TEXT, P.TEXT: text or "", **({P.PATH: source} if source else {})}


def foreign_text(payload: dict) -> Optional[str]:
    """The text another tool stored with a point: LangChain's ``page_content``, LlamaIndex's node
    text (``_node_content``), or a plain ``text`` field; None if it has none."""
    if isinstance(payload.get(LANGCHAIN_CONTENT), str):
        return payload[LANGCHAIN_CONTENT]
    node = payload.get(LLAMA_NODE_CONTENT)
    if isinstance(node, str):
        try:
            node = json.loads(node)
        except json.JSONDecodeError:
            node = None
        if isinstance(node, dict):
            text = node.get("text")
            if text is None and isinstance(node.get("text_resource"), dict):
                text = node["text_resource"].get("text")
            if isinstance(text, str):
                return text
    text = payload.get(LLAMA_TEXT)
    return text if isinstance(text, str) else None


def embedded_texts(payload: dict) -> list[str]:
    """What another tool may have embedded for a point: its text and, for a LlamaIndex node, the text
    with its metadata lines in front (``node.get_content(MetadataMode.EMBED)``, LlamaIndex's default)."""
    text = foreign_text(payload)
    if text is None:
        return []
    found = [text]
    try:
        node = json.loads(payload.get(LLAMA_NODE_CONTENT) or "null")
    except json.JSONDecodeError:
        node = None
    if isinstance(node, dict) and isinstance(node.get("metadata"), dict):
        skip = set(node.get("excluded_embed_metadata_keys") or ())
        lines = (node.get("metadata_separator") or "\n").join(
            (node.get("metadata_template") or "{key}: {value}").format(key=key, value=str(value))
            for key, value in node["metadata"].items() if key not in skip).strip()
        if lines:
            found.append((node.get("text_template") or "{metadata_str}\n\n{content}").format(
                content=text, metadata_str=lines).strip())
    return found
