package dev.crewship.thread;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A thread's values as one successful run left them ({@code ckpt_…}), written in the transaction
 * that records the run's {@code run.completed}.
 *
 * @param runId    the run that wrote it; null for the first checkpoint of a forked thread
 * @param parentId the checkpoint before it; for the first checkpoint of a fork, the one forked from
 */
public record Checkpoint(String id, String threadId, String runId, String parentId, ObjectNode values, Instant createdAt) {
}
