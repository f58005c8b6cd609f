#!/usr/bin/python3
# make test-kubernetes: conf/kubernetes/ parsed as YAML (python3-yaml) and
# the names and ports that tie it together checked, with no cluster and no
# podman:
#
#   - every file parses; every object has apiVersion, kind, metadata.name;
#     kustomization.yaml lists every other file
#   - Service selector -> one workload; port -> targetPort -> containerPort
#   - the gateway container: containerPort = nginx "listen" of the ConfigMap
#     mounted at /etc/nginx/nginx.conf = readiness (and liveness) probe port,
#     the probe path a webauthn_challenge location
#   - volumes <-> volumeMounts (both ways); ConfigMap name and key; the
#     Secret's name (secretGenerator) <-> volume <-> items <-> mountPath <->
#     the nginx paths of webauthn_challenge_secret / webauthn_session_key
#   - WEBAUTHN_REDIS host:port -> the Redis Service -> the Redis container;
#     nginx's upstream on 127.0.0.1 -> the application container's port
#   - every ${WEBAUTHN_*} in the ConfigMap has a value (container env, the
#     Dockerfile's ENV, or the entrypoint's); nginx passes the AWS variables
#     of IRSA and EKS Pod Identity; the ServiceAccount exists (IRSA role)
#   - non-root: runAsNonRoot, runAsUser 33 = the Dockerfile's USER www-data
#
#   t/container/check_kubernetes.py [DIR]     (default conf/kubernetes)

import os
import re
import sys

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, 'conf',
                                                         'kubernetes')
errors = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        errors.append(what)
    return cond


def load():
    docs = {}
    for name in sorted(os.listdir(DIR)):
        if not name.endswith(('.yaml', '.yml')):
            continue
        with open(os.path.join(DIR, name)) as f:
            try:
                docs[name] = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                check(False, '%s: not YAML: %s' % (name, e))
    return docs


def nginx_directives(conf):
    """(name, args) of every directive, comments removed"""
    out = []
    text = re.sub(r'#[^\n]*', '', conf)
    for stmt in re.split(r'[;{}]', text):
        words = stmt.split()
        if words:
            out.append((words[0], words[1:]))
    return out


def port_of(container, port):
    """a probe's or Service's port (number or name) -> containerPort"""
    for p in container.get('ports', []):
        if port == p.get('name') or port == p.get('containerPort'):
            return p['containerPort']
    return None


def main():
    docs = load()
    check('kustomization.yaml' in docs, 'no kustomization.yaml')
    kust = (docs.get('kustomization.yaml') or [{}])[0]
    objects = {}
    for name, ds in docs.items():
        if name == 'kustomization.yaml':
            continue
        check(name in kust.get('resources', []),
              'kustomization.yaml does not list %s' % name)
        for d in ds:
            ok = check(isinstance(d, dict) and d.get('apiVersion')
                       and d.get('kind') and d.get('metadata', {}).get('name'),
                       '%s: an object without apiVersion, kind, name' % name)
            if ok:
                key = (d['kind'], d['metadata']['name'])
                check(key not in objects, '%s: %s/%s twice' % ((name,) + key))
                objects[key] = d
    for r in kust.get('resources', []):
        check(r in docs, 'kustomization.yaml lists a missing %s' % r)

    def get(kind, name):
        return objects.get((kind, name))

    generated = {g['name']: [os.path.basename(f.split('=', 1)[0])
                             for f in g.get('files', [])]
                 for g in kust.get('secretGenerator', [])}
    images = {i['name'] for i in kust.get('images', [])}

    workloads = [o for (k, _), o in objects.items()
                 if k in ('Deployment', 'StatefulSet')]
    for w in workloads:
        sel = w['spec']['selector']['matchLabels']
        labels = w['spec']['template']['metadata']['labels']
        check(all(labels.get(k) == v for k, v in sel.items()),
              '%s: selector does not match its pod labels' % w['metadata']['name'])
        if w['kind'] == 'StatefulSet':
            check(get('Service', w['spec'].get('serviceName')),
                  '%s: serviceName names no Service' % w['metadata']['name'])

    def pods_of(service):
        sel = service['spec'].get('selector', {})
        return [w for w in workloads
                if all(w['spec']['template']['metadata']['labels'].get(k) == v
                       for k, v in sel.items())]

    def service_target(service, port_entry):
        """the (workload, container, containerPort) a Service port reaches"""
        hits = []
        for w in pods_of(service):
            for c in w['spec']['template']['spec']['containers']:
                cp = port_of(c, port_entry.get('targetPort',
                                               port_entry['port']))
                if cp is not None:
                    hits.append((w, c, cp))
        return hits

    for (kind, name), svc in objects.items():
        if kind != 'Service':
            continue
        check(len(pods_of(svc)) == 1,
              'Service %s selects %d workloads, not 1' % (name,
                                                          len(pods_of(svc))))
        for p in svc['spec']['ports']:
            check(len(service_target(svc, p)) == 1,
                  'Service %s port %s: targetPort %s is no containerPort'
                  % (name, p['port'], p.get('targetPort')))

    # the gateway: the container running the image the Dockerfile builds
    gw_pods = [(w, c) for w in workloads
               for c in w['spec']['template']['spec']['containers']
               if c['image'].split(':')[0] in images | {'ngx-webauthn'}]
    if not check(len(gw_pods) == 1, 'not one gateway container: %d'
                 % len(gw_pods)):
        return
    w, gw = gw_pods[0]
    pod = w['spec']['template']['spec']
    wname = w['metadata']['name']
    env = {e['name']: e.get('value') for e in gw.get('env', [])}

    # volumes <-> mounts
    volumes = {v['name']: v for v in pod.get('volumes', [])}
    mounted = set()
    for c in pod['containers']:
        for m in c.get('volumeMounts', []):
            check(m['name'] in volumes, '%s/%s: mount of no volume %s'
                  % (wname, c['name'], m['name']))
            mounted.add(m['name'])
    for v in volumes:
        check(v in mounted, '%s: volume %s is never mounted' % (wname, v))
    mounts = {m['mountPath']: m for m in gw.get('volumeMounts', [])}

    # the nginx.conf of the ConfigMap mounted at /etc/nginx/nginx.conf
    m = mounts.get('/etc/nginx/nginx.conf')
    if not check(m, 'gateway: nothing mounted at /etc/nginx/nginx.conf'):
        return
    vol = volumes.get(m['name'], {})
    cm = get('ConfigMap', vol.get('configMap', {}).get('name'))
    if not check(cm, 'gateway: the nginx.conf volume names no ConfigMap'):
        return
    key = m.get('subPath', 'nginx.conf')
    conf = cm.get('data', {}).get(key)
    if not check(conf, 'ConfigMap %s has no key %s' % (cm['metadata']['name'],
                                                       key)):
        return
    dirs = nginx_directives(conf)
    listens = [int(a[0].rsplit(':', 1)[-1]) for n, a in dirs if n == 'listen']
    check(len(listens) == 1, 'nginx.conf: not one listen: %s' % listens)
    listen = listens[0] if listens else None
    ports = [p['containerPort'] for p in gw.get('ports', [])]
    check(ports == [listen], 'gateway containerPort %s != nginx listen %s'
          % (ports, listen))

    # the Service in front of the pod: its targetPort is the gateway's
    for (kind, name), svc in objects.items():
        if kind == 'Service' and w in pods_of(svc):
            for p in svc['spec']['ports']:
                hits = service_target(svc, p)
                check(hits and hits[0][1] is gw and hits[0][2] == listen,
                      'Service %s port %s does not reach the gateway on %s'
                      % (name, p['port'], listen))

    # probes
    check('readinessProbe' in gw, 'gateway: no readinessProbe')
    challenge_paths = set()
    for i, (n, a) in enumerate(dirs):
        if n == 'location' and i + 1 < len(dirs) and \
                dirs[i + 1][0] in ('webauthn_challenge',
                                   'auth_webauthn_user_verification'):
            for n2, _ in dirs[i + 1:i + 3]:
                if n2 == 'webauthn_challenge':
                    challenge_paths.add(a[-1])
    for probe in ('readinessProbe', 'livenessProbe', 'startupProbe'):
        if probe not in gw:
            continue
        hg = gw[probe].get('httpGet', {})
        check(port_of(gw, hg.get('port')) == listen,
              'gateway %s: port %s is not nginx listen %s'
              % (probe, hg.get('port'), listen))
        check(hg.get('path') in challenge_paths,
              'gateway %s: path %s is no webauthn_challenge location (%s)'
              % (probe, hg.get('path'), sorted(challenge_paths)))

    # secrets: name <-> volume <-> items <-> mount <-> nginx paths
    key_paths = [a[0] for n, a in dirs
                 if n in ('webauthn_challenge_secret', 'webauthn_session_key')]
    check(any(n == 'webauthn_challenge_secret' for n, _ in dirs),
          'nginx.conf: no webauthn_challenge_secret')
    check(any(n == 'webauthn_session_key' for n, _ in dirs),
          'nginx.conf: no webauthn_session_key')
    secret_files = set()
    mode = 0o644
    for mp, mnt in mounts.items():
        sv = volumes.get(mnt['name'], {}).get('secret')
        if not sv:
            continue
        sname = sv['secretName']
        keys = generated.get(sname)
        if keys is None and get('Secret', sname):
            keys = list(get('Secret', sname).get('data', {})) + \
                list(get('Secret', sname).get('stringData', {}))
        if not check(keys is not None, 'volume %s: no Secret or '
                     'secretGenerator %s' % (mnt['name'], sname)):
            continue
        check(mnt.get('readOnly') is True, 'secret mount %s not readOnly' % mp)
        mode = sv.get('defaultMode', 0o644)
        check(mode & 0o007 == 0, 'secret %s: readable by others (%o)'
              % (sname, mode))
        for it in sv.get('items', [{'key': k, 'path': k} for k in keys]):
            check(it['key'] in keys, 'secret %s has no key %s'
                  % (sname, it['key']))
            secret_files.add(mp.rstrip('/') + '/' + it['path'])
    for p in key_paths:
        check(p in secret_files, 'nginx reads %s: no secret item mounted '
              'there (%s)' % (p, sorted(secret_files)))
    for f in secret_files:
        check(f in key_paths, 'secret file %s is not used by nginx' % f)
    sc = pod.get('securityContext', {})
    check(sc.get('fsGroup') is not None or mode & 0o044 == 0o004,
          'secret files unreadable to the non-root uid (no fsGroup)')

    # non-root: uid 33 is www-data, the Dockerfile's USER
    with open(os.path.join(TOP, 'Dockerfile')) as f:
        dockerfile = f.read()
    users = re.findall(r'^USER\s+(\S+)', dockerfile, re.M)
    check(users and users[-1] in ('www-data', '33'),
          'Dockerfile: USER is %s, not www-data' % users)
    uid = gw.get('securityContext', {}).get('runAsUser', sc.get('runAsUser'))
    check(uid == 33, 'gateway runs as uid %s, not 33 (www-data)' % uid)
    check(sc.get('runAsNonRoot') is True or
          gw.get('securityContext', {}).get('runAsNonRoot') is True,
          'gateway: no runAsNonRoot')
    # writable directories when the root file system is read-only
    if gw.get('securityContext', {}).get('readOnlyRootFilesystem'):
        for d in ('/run/nginx', '/var/lib/nginx'):
            check(d in mounts, 'read-only root: nothing writable at %s' % d)
    pid = [a[0] for n, a in dirs if n == 'pid']
    check(pid and os.path.dirname(pid[0]) in mounts,
          'nginx pid %s: not in a writable mount' % pid)

    # placeholders: each has a value
    env_defaults = set(re.findall(r'\b(WEBAUTHN_[A-Z0-9_]+)=', dockerfile))
    computed = {'WEBAUTHN_AWS_REGION', 'WEBAUTHN_RESOLVER',
                'WEBAUTHN_AWS_ROLE_LINES'}
    for ph in sorted(set(re.findall(r'\$\{(WEBAUTHN_[A-Z0-9_]+)\}', conf))):
        check(ph in env or ph in env_defaults or ph in computed,
              'nginx.conf: ${%s} has no value' % ph)
    for e in env:
        if e.startswith('WEBAUTHN_'):
            check(e in env_defaults or e in computed,
                  'gateway env %s: not a variable the image knows' % e)

    # Redis: WEBAUTHN_REDIS host:port -> Service -> container
    redis = env.get('WEBAUTHN_REDIS') or ''
    host, _, rport = redis.rpartition(':')
    rsvc = get('Service', host)
    if check(rsvc, 'WEBAUTHN_REDIS %s: no Service %s' % (redis, host)):
        sp = [p for p in rsvc['spec']['ports'] if str(p['port']) == rport]
        if check(sp, 'WEBAUTHN_REDIS %s: Service %s has no port %s'
                 % (redis, host, rport)):
            hits = service_target(rsvc, sp[0])
            check(hits and 'redis' in hits[0][1]['image'] and
                  str(hits[0][2]) in ' '.join(map(str, hits[0][1].get(
                      'args', []) + hits[0][1].get('command', []))) + ' 6379',
                  'Service %s does not reach a Redis container' % host)

    # upstreams on 127.0.0.1: a container of this pod listens there
    for i, (n, a) in enumerate(dirs):
        if n == 'server' and a and a[0].startswith('127.0.0.1:'):
            p = int(a[0].split(':')[1])
            owners = [c['name'] for c in pod['containers']
                      if c is not gw and port_of(c, p) == p]
            check(owners, 'nginx upstream %s: no container of the pod has '
                  'containerPort %d' % (a[0], p))

    # AWS: IRSA and Pod Identity variables passed; the ServiceAccount
    passed = {a[0] for n, a in dirs if n == 'env'}
    for v in ('AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_REGION',
              'AWS_CONTAINER_CREDENTIALS_FULL_URI',
              'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'):
        check(v in passed, 'nginx.conf: no "env %s;"' % v)
    sa = get('ServiceAccount', pod.get('serviceAccountName'))
    if check(sa, 'no ServiceAccount %s' % pod.get('serviceAccountName')):
        arn = sa['metadata'].get('annotations', {}).get(
            'eks.amazonaws.com/role-arn', '')
        check(re.match(r'^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$', arn),
              'ServiceAccount: IRSA role-arn annotation %r' % arn)
    if any(n == 'webauthn_aws_sign' for n, _ in dirs):
        check(any(n == 'webauthn_aws_credentials' for n, _ in dirs),
              'nginx.conf: webauthn_aws_sign without webauthn_aws_credentials')
        check(env.get('AWS_REGION') or env.get('WEBAUTHN_AWS_REGION'),
              'gateway: no AWS_REGION')


main()
if errors:
    for e in errors:
        print('FAIL: ' + e)
    sys.exit(1)
print('ok: conf/kubernetes: %d files, %d checks' % (
    len([n for n in os.listdir(DIR) if n.endswith(('.yaml', '.yml'))]),
    checks))
