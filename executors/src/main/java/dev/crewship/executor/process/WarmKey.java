package dev.crewship.executor.process;

import dev.crewship.run.ExecutionRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which warm parent may serve a run: one of the same deployment whose sandbox was made from exactly
 * what this run would get (configuration, folders, and the project's environment variables, which
 * import-time code may have read). A change of any of these needs a new parent. The variables enter
 * only as a SHA-256 digest, so a key can be logged.
 */
record WarmKey(String deploymentId, Path runsRoot, String fingerprint) {

    static WarmKey of(ExecutionRequest request, Path runsRoot) {
        StringBuilder text = new StringBuilder();
        text.append(request.config()).append('\0')
                .append(request.sourceDir()).append('\0')
                .append(request.environmentDir()).append('\0')
                .append(runsRoot).append('\0');
        for (Map.Entry<String, String> variable : new TreeMap<>(request.env()).entrySet()) {
            text.append(variable.getKey()).append('=').append(variable.getValue()).append('\0');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return new WarmKey(request.deploymentId(), runsRoot, HexFormat.of().formatHex(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Without the fingerprint: it is derived from secrets, so it stays out of logs. */
    @Override
    public String toString() {
        return "WarmKey[" + deploymentId + "]";
    }
}
