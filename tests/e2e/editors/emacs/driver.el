;;; driver.el --- Drive Eglot against fastapi-ls in batch mode  -*- lexical-binding: t; -*-

;; tests/test_emacs.py runs `emacs --batch -Q -l driver.el' with FASTAPI_LS_EMACS_PLAN naming
;; a JSON file (the "plan"):
;;
;;   config          the README's Eglot configuration, as a file of Emacs Lisp to load
;;   file            the FastAPI module to open (in a workspace with a pyproject.toml)
;;   out             where to write the observations (JSON)
;;   points          Emacs positions (1-based character offsets) of the cursor for each step:
;;                   module, modelBody, hover, action, plain
;;   typed           what is typed in the model body before completing there
;;   action          the title of the code action to execute
;;   initializationOptions, workspaceConfiguration
;;                   the test's own settings, given to Eglot as a user would: appended to the
;;                   README's `eglot-server-programs' entry, and laid over the README's
;;                   `eglot-workspace-configuration'
;;   elpa            directories holding Debian's ELPA packages (Eglot): `emacs -Q' does not
;;                   activate packages, so the driver does what a user's Emacs does at start-up
;;   timeout         seconds for each wait; the whole run is bounded by `deadline'
;;   deadline        seconds after which the driver writes what it has and exits
;;
;; With FASTAPI_LS_EMACS_PROBE set instead, it only loads Eglot, prints its version and exits
;; (status 3 when Eglot cannot be loaded).
;;
;; Every position sent to the server is computed by Eglot from point (its own column
;; conversion), requests go through Eglot's functions (`completion-at-point' table, hover,
;; `eglot-code-actions' with its menu answered), and the script always ends with
;; `kill-emacs', having written what it saw and the errors it met.

;;; Code:

(require 'cl-lib)
(require 'json)
(require 'package)
(require 'subr-x)

(defvar fastapi-ls-test--out nil "Observations, an alist with symbol keys.")
(defvar fastapi-ls-test--plan nil "The plan, a plist.")
(defvar fastapi-ls-test--requests nil "Requests Eglot sent through `jsonrpc-request'.")
(defvar fastapi-ls-test--start (float-time))

(defun fastapi-ls-test--put (key value)
  (setf (alist-get key fastapi-ls-test--out) value))

(defun fastapi-ls-test--error (step err)
  (push (cons step (error-message-string err))
        (alist-get 'errors fastapi-ls-test--out)))

(defmacro fastapi-ls-test--step (name &rest body)
  "Run BODY as step NAME: record its duration, and its error instead of stopping."
  (declare (indent 1))
  `(let ((started (float-time)))
     (condition-case err
         (progn ,@body)
       (error (fastapi-ls-test--error ,name err)))
     (push (cons ,name (- (float-time) started))
           (alist-get 'timings fastapi-ls-test--out))))

(defun fastapi-ls-test--finish ()
  "Write the observations and leave Emacs."
  (fastapi-ls-test--put 'elapsed (- (float-time) fastapi-ls-test--start))
  (fastapi-ls-test--put
   'messages
   (with-current-buffer (messages-buffer)
     (vconcat (split-string (buffer-substring-no-properties (point-min) (point-max))
                            "\n" t))))
  (let ((errors (alist-get 'errors fastapi-ls-test--out)))
    (fastapi-ls-test--put 'errors (or (reverse errors) (make-hash-table))))
  (fastapi-ls-test--put 'timings (reverse (alist-get 'timings fastapi-ls-test--out)))
  (fastapi-ls-test--put 'requests (vconcat (reverse fastapi-ls-test--requests)))
  (let ((coding-system-for-write 'utf-8-unix)
        (json-encoding-pretty-print nil))
    (write-region (json-encode fastapi-ls-test--out) nil
                  (plist-get fastapi-ls-test--plan :out) nil 'silent))
  (kill-emacs 0))

(defun fastapi-ls-test--wait (what condition)
  "Process output until CONDITION holds, for at most the plan's timeout; else signal."
  (let ((limit (+ (float-time) (plist-get fastapi-ls-test--plan :timeout))))
    (while (and (not (funcall condition)) (< (float-time) limit))
      (accept-process-output nil 0.05))
    (unless (funcall condition)
      (error "Timed out waiting for %s" what))))

;;; Loading Eglot as a user's Emacs does: Debian's ELPA packages, activated.

(defun fastapi-ls-test--load-eglot (elpa)
  "Activate the packages in the directories ELPA (as `package-initialize' would), load Eglot."
  (unless (require 'eglot nil t)
    (setq package-directory-list (append elpa package-directory-list))
    (package-activate-all)
    (require 'eglot)))

(defun fastapi-ls-test--eglot-version ()
  (let ((desc (cadr (assq 'eglot package-alist))))
    (cond (desc (package-version-join (package-desc-version desc)))
          ((assq 'eglot package--builtin-versions)
           (package-version-join (cdr (assq 'eglot package--builtin-versions))))
          (t (with-temp-buffer
               (insert-file-contents (find-library-name "eglot"))
               (require 'lisp-mnt)
               (lm-version))))))

(when (getenv "FASTAPI_LS_EMACS_PROBE")
  (condition-case err
      (progn
        (fastapi-ls-test--load-eglot (split-string (getenv "FASTAPI_LS_EMACS_PROBE") ":" t))
        (princ (format "Emacs %s, Eglot %s\n" emacs-version (fastapi-ls-test--eglot-version)))
        (kill-emacs 0))
    (error (princ (format "Eglot cannot be loaded: %s\n" (error-message-string err)))
           (kill-emacs 3))))

;;; The session.

(setq fastapi-ls-test--plan
      (let ((json-object-type 'plist)
            (json-array-type 'vector)
            (json-key-type 'keyword)
            (json-false :json-false))
        (json-read-file (getenv "FASTAPI_LS_EMACS_PLAN"))))

(defun fastapi-ls-test--plan (key) (plist-get fastapi-ls-test--plan key))
(defun fastapi-ls-test--point (name) (plist-get (fastapi-ls-test--plan :points) name))

;; Whatever happens, the run ends in time with what was seen so far.
(run-at-time (fastapi-ls-test--plan :deadline) nil
             (lambda ()
               (fastapi-ls-test--error "deadline" '(error "The driver ran out of time"))
               (fastapi-ls-test--finish)))

(setq make-backup-files nil
      create-lockfiles nil
      auto-save-default nil
      ;; The `*Messages*' buffer keeps every line (it is part of the observations).
      message-log-max t)
(fastapi-ls-test--put 'emacs emacs-version)

(defun fastapi-ls-test--record-request (request connection method &optional params &rest args)
  "Around `jsonrpc-request': keep METHOD, PARAMS as Eglot computed them, and the result."
  (let ((record `((method . ,(format "%s" method)) (params . ,params))))
    (push record fastapi-ls-test--requests)
    (let ((result (apply request connection method params args)))
      (nconc record `((result . ,result)))
      result)))
(advice-add 'jsonrpc-request :around #'fastapi-ls-test--record-request)

(defun fastapi-ls-test--plist-p (value)
  (and (consp value) (keywordp (car value))))

(defun fastapi-ls-test--merge (base over)
  "Plist OVER laid over plist BASE, key by key (as the server merges its settings)."
  (if (not (and (fastapi-ls-test--plist-p base) (fastapi-ls-test--plist-p over)))
      over
    (let ((result (copy-sequence base)))
      (cl-loop for (key value) on over by #'cddr
               do (setq result (plist-put result key
                                          (fastapi-ls-test--merge (plist-get result key)
                                                                  value))))
      result)))

(defun fastapi-ls-test--lsp-item (proxy)
  (get-text-property 0 'eglot--lsp-item proxy))

(defun fastapi-ls-test--completion-items ()
  "The completion items at point, as `completion-at-point' gets them from Eglot."
  (let* ((capf (run-hook-wrapped 'completion-at-point-functions
                                 (lambda (fn) (and (eq fn 'eglot-completion-at-point) fn))))
         (data (if capf (funcall capf) (error "Eglot is not in `completion-at-point-functions'")))
         (table (nth 2 data))
         (proxies (funcall table "" nil t)))
    (list :start (nth 0 data) :end (nth 1 data) :table table :props (nthcdr 3 data)
          :proxies proxies)))

(defun fastapi-ls-test--describe-items (proxies)
  (vconcat
   (mapcar (lambda (proxy)
             (let ((item (fastapi-ls-test--lsp-item proxy)))
               `((label . ,(plist-get item :label))
                 (insertTextFormat . ,(plist-get item :insertTextFormat))
                 (newText . ,(plist-get (plist-get item :textEdit) :newText))
                 (snippet . ,(plist-get (plist-get item :data) :snippet)))))
           proxies)))

(defun fastapi-ls-test--menu-at-point (choice)
  "Run M-x eglot-code-actions at point; return the titles of its menu.
Choose CHOICE from the menu (Eglot executes it), or nothing when CHOICE is nil."
  (let ((offered nil)
        (last-nonmenu-event ?\r))      ; a key, not a mouse click: Eglot asks in the minibuffer
    (catch 'fastapi-ls-test-no-choice
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (_prompt collection &rest _)
                   (setq offered (mapcar #'car collection))
                   (or choice (throw 'fastapi-ls-test-no-choice nil)))))
        (condition-case err
            (call-interactively #'eglot-code-actions)
          (error (unless (string-match-p "No code actions here" (error-message-string err))
                   (signal (car err) (cdr err)))))))
    offered))

(defun fastapi-ls-test--document-buffers ()
  "Buffers visiting a Markdown file (a document the server asked Eglot to show)."
  (vconcat (cl-loop for buffer in (buffer-list)
                    for file = (buffer-file-name buffer)
                    when (and file (string-suffix-p ".md" file))
                    collect file)))

(let* ((config (fastapi-ls-test--plan :config))
       (file (fastapi-ls-test--plan :file))
       (code-action (fastapi-ls-test--plan :action))
       buffer server)
  (fastapi-ls-test--step "load"
    ;; The README's configuration first, as in an init file; then Eglot (`M-x eglot' would
    ;; autoload it).
    (load config nil t)
    (fastapi-ls-test--load-eglot (append (fastapi-ls-test--plan :elpa) nil))
    (fastapi-ls-test--put 'eglot (fastapi-ls-test--eglot-version))
    (fastapi-ls-test--put 'eglotFile (locate-library "eglot"))
    ;; The README's entry, as Eglot finds it for python-mode.
    (let ((entry (cl-find-if (lambda (entry) (equal (cdr entry) '("fastapi-ls")))
                             eglot-server-programs)))
      (fastapi-ls-test--put 'readmeEntry (format "%S" entry))
      (fastapi-ls-test--put 'pythonContact
                            (format "%S" (ignore-errors
                                           (nth 2 (eglot--lookup-mode 'python-mode)))))
      ;; The test's own settings, as a user gives them: initializationOptions added to that
      ;; entry, and `eglot-workspace-configuration'.
      (when entry
        (push (cons (car entry)
                    (append (cdr entry)
                            (list :initializationOptions
                                  (fastapi-ls-test--plan :initializationOptions))))
              eglot-server-programs)))
    ;; The README's settings, with the test's laid over them.
    (fastapi-ls-test--put 'readmeWorkspaceConfiguration
                          (default-value 'eglot-workspace-configuration))
    (setq-default eglot-workspace-configuration
                  (fastapi-ls-test--merge (default-value 'eglot-workspace-configuration)
                                          (fastapi-ls-test--plan :workspaceConfiguration))))

  (fastapi-ls-test--step "connect"
    (setq buffer (find-file-noselect file))
    (set-buffer buffer)
    (fastapi-ls-test--put 'majorMode (symbol-name major-mode))
    (fastapi-ls-test--put 'execPath (executable-find "fastapi-ls"))
    ;; `M-x eglot' would prompt for a command it cannot find: say so instead.
    (let ((contact (ignore-errors (nth 3 (eglot--guess-contact)))))
      (when (and (stringp (car-safe contact)) (not (executable-find (car contact))))
        (error "Eglot would run `%s', which is not on exec-path %S" (car contact) exec-path)))
    ;; What `M-x eglot' does in this buffer.
    (call-interactively #'eglot)
    (fastapi-ls-test--wait "Eglot's connection"
                           (lambda () (and (eglot-current-server)
                                           (eglot--capabilities (eglot-current-server))
                                           eglot--managed-mode)))
    (setq server (eglot-current-server))
    (let ((sent (eglot-client-capabilities server))
          (received (eglot--capabilities server)))
      (fastapi-ls-test--put
       'client
       `((positionEncodings . ,(plist-get (plist-get sent :general) :positionEncodings))
         (snippetSupport . ,(plist-get (plist-get (plist-get (plist-get sent :textDocument)
                                                             :completion)
                                                  :completionItem)
                                       :snippetSupport))
         (hoverFormats . ,(plist-get (plist-get (plist-get sent :textDocument) :hover)
                                     :contentFormat))
         (showDocument . ,(plist-get (plist-get sent :window) :showDocument))
         (workDoneProgress . ,(plist-get (plist-get sent :window) :workDoneProgress))
         ;; How Eglot counts columns (Eglot 1.9: UTF-16 code units, whatever was negotiated).
         (columnFunction . ,(format "%s" (if (boundp 'eglot-current-column-function)
                                             eglot-current-column-function
                                           (bound-and-true-p
                                            eglot-current-linepos-function))))))
      (fastapi-ls-test--put
       'server
       `((name . ,(plist-get (eglot--server-info server) :name))
         (positionEncoding . ,(plist-get received :positionEncoding))
         (commands . ,(plist-get (plist-get received :executeCommandProvider) :commands))))))

  (when server
    (fastapi-ls-test--step "route search"
      ;; M-x xref-find-apropos asks workspace/symbol; the index is built in the background.
      (let (symbols)
        (fastapi-ls-test--wait "the route in workspace/symbol"
                               (lambda ()
                                 (setq symbols (jsonrpc-request server :workspace/symbol
                                                                '(:query "größen")))
                                 (> (length symbols) 0)))
        (fastapi-ls-test--put
         'routeSymbols
         (vconcat (mapcar (lambda (symbol)
                            `((name . ,(plist-get symbol :name))
                              (line . ,(plist-get (plist-get (plist-get (plist-get symbol :location)
                                                                        :range)
                                                             :start)
                                                  :line))
                              (container . ,(plist-get symbol :containerName))))
                          symbols)))))

    (fastapi-ls-test--step "path completion in a test file"
      (with-current-buffer (find-file-noselect (fastapi-ls-test--plan :testFile))
        (fastapi-ls-test--wait "Eglot to manage the test file" (lambda () eglot--managed-mode))
        (goto-char (fastapi-ls-test--plan :testPoint))
        (let ((completion (fastapi-ls-test--completion-items)))
          (fastapi-ls-test--put 'pathItems
                                (fastapi-ls-test--describe-items
                                 (plist-get completion :proxies))))))

    (set-buffer buffer)
    (fastapi-ls-test--step "module completion"
      (goto-char (fastapi-ls-test--point :module))
      (let ((completion (fastapi-ls-test--completion-items)))
        (fastapi-ls-test--put 'moduleItems
                              (fastapi-ls-test--describe-items (plist-get completion :proxies)))))

    (fastapi-ls-test--step "model body completion"
      (goto-char (fastapi-ls-test--point :modelBody))
      (fastapi-ls-test--put 'modelBodyLine (buffer-substring-no-properties
                                            (line-beginning-position) (point)))
      (let ((completion (fastapi-ls-test--completion-items)))
        (fastapi-ls-test--put 'modelBodyItems
                              (fastapi-ls-test--describe-items (plist-get completion :proxies)))))

    (fastapi-ls-test--step "hover"
      (goto-char (fastapi-ls-test--point :hover))
      (let* ((params (eglot--TextDocumentPositionParams))
             (hover (jsonrpc-request server :textDocument/hover params)))
        (fastapi-ls-test--put
         'hover
         `((line . ,(buffer-substring-no-properties (line-beginning-position) (point)))
           (position . ,(plist-get params :position))
           (kind . ,(let ((contents (plist-get hover :contents)))
                      (and (listp contents) (plist-get contents :kind))))
           (text . ,(and hover (eglot--hover-info (plist-get hover :contents)
                                                  (plist-get hover :range))))))))

    (fastapi-ls-test--step "code actions"
      (goto-char (fastapi-ls-test--point :action))
      (fastapi-ls-test--put 'actionLine (buffer-substring-no-properties
                                         (line-beginning-position) (point)))
      (fastapi-ls-test--put 'actionPosition (eglot--pos-to-lsp-position (point)))
      (let ((actions (eglot-code-actions (point) (point))))
        (fastapi-ls-test--put 'actionTitles
                              (vconcat (mapcar (lambda (action) (plist-get action :title))
                                               actions)))))

    (fastapi-ls-test--step "code actions on a plain symbol"
      ;; M-x eglot-code-actions on a Tier 1 symbol, nothing selected: only what it lists.
      (goto-char (fastapi-ls-test--point :plain))
      (fastapi-ls-test--put 'plainMenu (vconcat (fastapi-ls-test--menu-at-point nil))))

    (fastapi-ls-test--step "execute"
      ;; `M-x eglot-code-actions' at point, choosing CODE-ACTION from its menu.
      (goto-char (fastapi-ls-test--point :action))
      (fastapi-ls-test--put 'menu (vconcat (fastapi-ls-test--menu-at-point code-action)))
      ;; The document: a buffer visiting it if the server could ask Eglot to show it, else
      ;; the server's message naming it (already in `*Messages*' when the command returned).
      (fastapi-ls-test--wait "the document or the message naming it"
                             (lambda ()
                               (or (> (length (fastapi-ls-test--document-buffers)) 0)
                                   (with-current-buffer (messages-buffer)
                                     (save-excursion
                                       (goto-char (point-min))
                                       (search-forward ".md" nil t))))))
      (fastapi-ls-test--put 'documentBuffers (fastapi-ls-test--document-buffers)))

    (fastapi-ls-test--step "type and complete"
      ;; Type the start of a snippet's name in the model body, then M-x completion-at-point:
      ;; Eglot asks again, completes the unique candidate and applies the item's edits.
      (set-buffer buffer)
      (goto-char (fastapi-ls-test--point :modelBody))
      (insert (fastapi-ls-test--plan :typed))
      ;; What Eglot's idle timer does after typing (idle timers do not run in batch mode).
      (eglot--signal-textDocument/didChange)
      (let ((completion-styles '(basic)))
        (completion-at-point)
        (fastapi-ls-test--put 'completedLine (buffer-substring-no-properties
                                              (line-beginning-position) (line-end-position)))
        (fastapi-ls-test--put 'bufferAfterCompletion
                              (buffer-substring-no-properties (point-min) (point-max)))
        (fastapi-ls-test--put 'completionsShown (and (get-buffer "*Completions*") t))))

    (fastapi-ls-test--step "shutdown"
      (eglot-shutdown server))))

(fastapi-ls-test--finish)

;;; driver.el ends here
