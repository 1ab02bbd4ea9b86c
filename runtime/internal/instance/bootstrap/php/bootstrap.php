<?php
// SCF emulator bootstrap for PHP event functions.
//
// Runs in the function's code directory (the working directory), loads the
// handler named by _HANDLER ("index.main_handler": function main_handler in
// index.php) and serves invocations through the SCF Custom Runtime API at
// $SCF_RUNTIME_API:$SCF_RUNTIME_API_PORT. $event and $context are objects,
// as on the platform. Core PHP only, and PHP 7.2 syntax: the oldest
// runtime it serves.

// The runtime API is on loopback: HTTP/1.0 over a socket, the body runs to
// EOF (no chunked encoding, no keep-alive).
function scf_request($method, $path, $body = '', $type = 'text/plain')
{
    $conn = @fsockopen(getenv('SCF_RUNTIME_API'), (int) getenv('SCF_RUNTIME_API_PORT'), $errno, $errstr, 30);
    if ($conn === false) {
        throw new RuntimeException("runtime API unreachable: $errstr");
    }
    fwrite($conn, "$method $path HTTP/1.0\r\nHost: runtime\r\nContent-Type: $type\r\nContent-Length: " . strlen($body) . "\r\n\r\n" . $body);
    $raw = stream_get_contents($conn);
    fclose($conn);
    $parts = explode("\r\n\r\n", (string) $raw, 2);
    $lines = explode("\r\n", $parts[0]);
    $status = explode(' ', $lines[0], 3);
    if (count($status) < 2 || $status[1][0] !== '2') {
        throw new RuntimeException("runtime API $method $path answered " . $lines[0]);
    }
    $headers = array();
    foreach (array_slice($lines, 1) as $line) {
        $kv = explode(':', $line, 2);
        if (count($kv) === 2) {
            $headers[strtolower(trim($kv[0]))] = trim($kv[1]);
        }
    }
    return array($headers, isset($parts[1]) ? $parts[1] : '');
}

// Shows the code directory as /var/user, where the platform keeps it.
function scf_user_paths($text)
{
    $root = getcwd();
    if ($root === '/var/user') {
        return $text;
    }
    return str_replace($root, '/var/user', $text);
}

// Formats a throwable without the frames of this bootstrap.
function scf_trace($e)
{
    $frames = array();
    foreach ($e->getTrace() as $f) {
        if (isset($f['file']) && $f['file'] === __FILE__) {
            continue;
        }
        $where = isset($f['file']) ? $f['file'] . '(' . $f['line'] . ')' : '[internal function]';
        $call = (isset($f['class']) ? $f['class'] . $f['type'] : '') . $f['function'] . '()';
        $frames[] = '#' . count($frames) . ' ' . $where . ': ' . $call;
    }
    $frames[] = '#' . count($frames) . ' {main}';
    $text = sprintf("PHP Fatal error:  Uncaught %s: %s in %s:%d\nStack trace:\n%s\n",
        get_class($e), $e->getMessage(), $e->getFile(), $e->getLine(), implode("\n", $frames));
    return scf_user_paths($text);
}

// Writes the end markers behind everything the invocation printed: the
// emulator attributes the output before them to this invocation.
function scf_end_output($mark, $requestId)
{
    while (ob_get_level() > 0) {
        ob_end_flush();
    }
    flush();
    if ($mark === '') {
        return;
    }
    @fwrite(STDOUT, $mark . 'o' . $requestId . "\n");
    @fflush(STDOUT);
    @fwrite(STDERR, $mark . 'e' . $requestId . "\n");
    @fflush(STDERR);
}

// scf_serve answers invocations with the user's function $func.
function scf_serve($func, $mark, $environment)
{
    if ($environment === false || $environment === '') {
        $environment = '{}';
    }
    $pairs = array();
    $vars = json_decode($environment, true);
    foreach (is_array($vars) ? $vars : array() as $k => $v) {
        $pairs[] = "$k=$v";
    }
    $static = array(
        'function_name' => (string) getenv('SCF_FUNCTIONNAME'),
        'function_version' => (string) getenv('SCF_FUNCTIONVERSION'),
        'namespace' => getenv('SCF_NAMESPACE') ?: 'default',
        'environment' => $environment,
        'environ' => implode(';', $pairs),
        'tencentcloud_region' => (string) getenv('TENCENTCLOUD_REGION'),
        'tencentcloud_appid' => (string) getenv('TENCENTCLOUD_APPID'),
        'tencentcloud_uin' => (string) getenv('TENCENTCLOUD_UIN'),
    );

    scf_request('POST', '/runtime/init/ready', ' ');
    while (true) {
        list($headers, $body) = scf_request('GET', '/runtime/invocation/next');
        $context = $static;
        $context['request_id'] = isset($headers['request_id']) ? $headers['request_id'] : '';
        $context['memory_limit_in_mb'] = (int) (isset($headers['memory_limit_in_mb']) ? $headers['memory_limit_in_mb'] : 0);
        $context['time_limit_in_ms'] = (int) (isset($headers['time_limit_in_ms']) ? $headers['time_limit_in_ms'] : 0);
        $event = new stdClass();
        if ($body !== '') {
            $event = json_decode($body);
            if ($event === null && json_last_error() !== JSON_ERROR_NONE) {
                $event = $body;
            }
        }
        try {
            $result = $func($event, (object) $context);
            $payload = json_encode($result, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
            if ($payload === false) {
                throw new UnexpectedValueException('the return value cannot be encoded as JSON: ' . json_last_error_msg());
            }
        } catch (Throwable $e) {
            $stack = scf_trace($e);
            fwrite(STDERR, $stack);
            $error = array('errorType' => get_class($e), 'errorMessage' => scf_user_paths($e->getMessage()), 'stackTrace' => $stack);
            scf_end_output($mark, $context['request_id']);
            scf_request('POST', '/runtime/invocation/error', json_encode($error, JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR), 'application/json');
            continue;
        }
        scf_end_output($mark, $context['request_id']);
        scf_request('POST', '/runtime/invocation/response', $payload, 'application/json');
    }
}

// The user's file is loaded at the top level, as the platform does: its
// global variables are globals, which handlers reach with `global`.
// The plumbing variables are read, and removed, before the user's code runs.
$__scf_mark = (string) getenv('_SCF_LOG_MARK');
$__scf_environment = getenv('_SCF_CONTEXT_ENVIRONMENT');
foreach (array('_SCF_LOG_MARK', '_SCF_CONTEXT_ENVIRONMENT') as $__scf_k) {
    putenv($__scf_k);
    unset($_ENV[$__scf_k], $_SERVER[$__scf_k]);
}
$__scf_spec = getenv('_HANDLER') ?: 'index.main_handler';
$__scf_dot = strrpos($__scf_spec, '.');
try {
    if ($__scf_dot === false || $__scf_dot === 0 || $__scf_dot === strlen($__scf_spec) - 1) {
        throw new InvalidArgumentException("handler '$__scf_spec' is not of the form file.function");
    }
    $__scf_file = substr($__scf_spec, 0, $__scf_dot) . '.php';
    $__scf_func = substr($__scf_spec, $__scf_dot + 1);
    if (!is_file($__scf_file)) {
        throw new RuntimeException("handler file $__scf_file not found in /var/user");
    }
    require_once getcwd() . '/' . $__scf_file;
    if (!function_exists($__scf_func)) {
        throw new RuntimeException("handler function '$__scf_func' not found in $__scf_file");
    }
} catch (Throwable $e) {
    fwrite(STDERR, scf_trace($e));
    exit(1);
}
scf_serve($__scf_func, $__scf_mark, $__scf_environment);
