/**
 * The gateway's refusals, shaped as Alibaba Cloud's RPC gateway shapes them: an HTTP status and
 * a `Code` that both SDK generations understand (pop-core reads only `Code`, the Tea SDK only
 * the status). Codes and statuses are those of the OnsMqtt error tables; the few the service
 * does not document (a body too large, malformed HTTP, shutting down) follow the same form.
 */
const STATUS = {
  MissingParameter: 400,
  InvalidParameter: 400,
  'InvalidParameter.MqttTopic': 400,
  ParameterCheckFailed: 400,
  IncompleteSignature: 400,
  SignatureDoesNotMatch: 400,
  IllegalTimestamp: 400,
  'InvalidTimeStamp.Expired': 400,
  SignatureNonceUsed: 400,
  InstancePermissionCheckFailed: 400,
  PermissionCheckFailed: 400,
  CheckAccountInfoFailed: 400,
  InvalidVersion: 400,
  BadRequest: 400,
  UnsupportedHTTPMethod: 403,
  'InvalidAccessKeyId.NotFound': 404,
  ApiNotSupport: 404,
  RequestEntityTooLarge: 413,
  InternalError: 500,
  SendMessageFailed: 500,
  SystemOverFlow: 500,
  ServiceUnavailable: 503,
} as const;

export type ApiCode = keyof typeof STATUS;

/** A request the gateway refuses: nothing was published for it. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: ApiCode;

  private constructor(code: ApiCode, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
    this.status = STATUS[code];
  }

  static of(code: ApiCode, message: string): ApiFailure {
    return new ApiFailure(code, message);
  }

  static missing(name: string): ApiFailure {
    return new ApiFailure('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`);
  }
}

/** The JSON error body: the four keys of the service's error page, plus the SDKs' `Recommend`. */
export function failureBody(failure: ApiFailure, requestId: string, hostId: string): string {
  const recommend = `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(failure.code)}&product=OnsMqtt&requestId=${requestId}`;
  return JSON.stringify({ RequestId: requestId, HostId: hostId, Code: failure.code, Message: failure.message, Recommend: recommend });
}
