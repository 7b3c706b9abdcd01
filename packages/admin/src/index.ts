/**
 * @grpckit/admin: health, reflection and channelz on a @grpckit/core server in one call.
 */
export { addAdminServices, type AdminOptions, type AdminServices } from "./admin.js";
