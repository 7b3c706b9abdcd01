/**
 * @grpckit/balancer-outlierdetection: outlier detection (gRFC A50) for @grpckit/core,
 * registered as "outlier_detection_experimental": a parent policy that ejects
 * endpoints whose calls fail more than the others' from its child policy's choice.
 * Register it, then name it with its child policy in a channel's service config.
 */
import type { OutlierDetectionConfigJson } from "./outlier-detection-config.js";

export {
  outlierDetectionBalancer,
  createOutlierDetectionBuilder,
  registerOutlierDetection,
  OUTLIER_DETECTION_POLICY_NAME,
  type OutlierDetectionOptions,
} from "./outlier-detection.js";
export {
  outlierDetectionConfigSchema,
  DEFAULT_INTERVAL_MS,
  DEFAULT_BASE_EJECTION_TIME_MS,
  DEFAULT_MAX_EJECTION_TIME_MS,
  DEFAULT_MAX_EJECTION_PERCENT,
  type OutlierDetectionConfig,
  type OutlierDetectionConfigJson,
  type SuccessRateEjectionConfig,
  type FailurePercentageEjectionConfig,
} from "./outlier-detection-config.js";

declare module "@grpckit/core" {
  interface BalancerConfigMap {
    /**
     * Outlier detection's settings (durations as "10s"); each may be left out for its
     * default but `childPolicy`, the policy that balances over the endpoints.
     */
    outlier_detection_experimental: OutlierDetectionConfigJson;
  }
}
