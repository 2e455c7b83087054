package org.fedbeam.transforms;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON reader of everything the parties exchange or read (signed envelopes and bodies, policy,
 * revocation list, job, state, update metadata): a document with a duplicate key or with anything
 * after its one value is refused, so two parties can never read one document two ways (Jackson
 * otherwise lets the last of two equal keys win, and ignores trailing data).
 */
public final class StrictJson {
  private StrictJson() {}

  /** A new strict mapper: {@code STRICT_DUPLICATE_DETECTION} and {@code FAIL_ON_TRAILING_TOKENS}. */
  public static ObjectMapper mapper() {
    return JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }
}
